// A realistic Open WebUI feedback export, written from its schema (the admin Evaluations page's JSON:
// rating records with data, meta and a snapshot of the chat's message tree): a regeneration, an arena
// battle, a multi-turn chat and two broken records. Shared by the unit and end-to-end tests.

interface Msg {
  id: string;
  parentId: string | null;
  childrenIds: string[];
  role: 'user' | 'assistant';
  content: string;
  model?: string;
  timestamp: number;
}

/** A chat's message tree as Open WebUI stores it (history.messages by id, currentId the shown leaf). */
export function chat(id: string, title: string, messages: Msg[], currentId: string) {
  const byId = Object.fromEntries(messages.map((m) => [m.id, m]));
  const path: Msg[] = [];
  for (let at: string | null = currentId; at !== null; at = byId[at]!.parentId) path.unshift(byId[at]!);
  return {
    id,
    title,
    chat: {
      id: '',
      title,
      models: [...new Set(messages.flatMap((m) => (m.model ? [m.model] : [])))],
      history: { messages: byId, currentId },
      messages: path,
      tags: [],
      timestamp: 1764000000000,
    },
    user_id: 'user-7f3a',
    created_at: 1764000000,
    updated_at: 1764000900,
  };
}

export function feedback(
  id: string,
  rating: 1 | -1,
  snapshot: ReturnType<typeof chat>,
  messageId: string,
  extra: { details?: number; arena?: boolean; siblings?: string[]; reason?: string; comment?: string } = {},
) {
  const message = snapshot.chat.history.messages[messageId]!;
  return {
    id,
    user_id: 'user-7f3a',
    version: 0,
    type: 'rating',
    data: {
      rating,
      model_id: message.model,
      sibling_model_ids: extra.siblings ?? null,
      reason: extra.reason ?? '',
      comment: extra.comment ?? '',
      ...(extra.details !== undefined ? { details: { rating: extra.details } } : {}),
    },
    meta: { arena: extra.arena ?? false, chat_id: snapshot.id, message_id: messageId, tags: ['poetry'] },
    snapshot: { chat: snapshot },
    created_at: 1764000000 + Number(id.replace(/\D/g, '')) * 3600,
    updated_at: 1764000000,
  };
}

const u = (id: string, parentId: string | null, childrenIds: string[], content: string): Msg => ({
  id,
  parentId,
  childrenIds,
  role: 'user',
  content,
  timestamp: 1764000000,
});
const a = (id: string, parentId: string, childrenIds: string[], content: string, model: string): Msg => ({
  id,
  parentId,
  childrenIds,
  role: 'assistant',
  content,
  model,
  timestamp: 1764000000,
});

// A regeneration: a1 regenerated into a2, the chat went on from a2.
export const haiku = chat(
  'chat-haiku',
  'Autumn haiku',
  [
    u('u1', null, ['a1', 'a2'], 'Write a haiku about autumn'),
    a('a1', 'u1', [], 'Leaves fall down. It is autumn now. Yes.', 'llama3:8b'),
    a(
      'a2',
      'u1',
      ['u2'],
      'Crimson maples sigh / a cold wind counts the branches / geese stitch the grey sky',
      'llama3:8b',
    ),
    u('u2', 'a2', ['a3'], 'Now one about winter'),
    a('a3', 'u2', [], 'Snow hushes the pines / ...', 'llama3:8b'),
  ],
  'a3',
);
// An arena battle: two models answered, the user kept and rated gpt-4o's.
export const arena = chat(
  'chat-arena',
  'TCP vs UDP',
  [
    u('v1', null, ['b1', 'b2'], 'Explain TCP vs UDP in two sentences'),
    a('b1', 'v1', [], 'TCP is connection-oriented and reliable; UDP is connectionless and fast.', 'gpt-4o'),
    a('b2', 'v1', [], 'They are both protocols.', 'mistral:7b'),
  ],
  'b1',
);
// A multi-turn chat with one answer, rated down.
export const multi = chat(
  'chat-multi',
  'SQL help',
  [
    u('w1', null, ['c1'], 'I have a table of orders'),
    a('c1', 'w1', ['w2'], 'Sure, what would you like to know?', 'llama3:8b'),
    u('w2', 'c1', ['c2'], 'Total per customer?'),
    a('c2', 'w2', [], 'Use a loop over every row.', 'llama3:8b'),
  ],
  'c2',
);

const broken = { ...feedback('f5', 1, haiku, 'a2'), meta: { chat_id: 'chat-haiku', message_id: 'zzz' } };
export const EXPORT = [
  feedback('f1', 1, haiku, 'a2', { details: 8 }),
  feedback('f2', -1, haiku, 'a1', { details: 3, reason: 'Not following instructions' }),
  feedback('f3', 1, arena, 'b1', { arena: true, siblings: ['mistral:7b'] }),
  feedback('f4', -1, multi, 'c2', { comment: 'wrong' }),
  broken,
  { id: 'f6', note: 'not a feedback record' },
];
