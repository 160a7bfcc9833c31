// The formats added for "every common format in": HH-RLHF, UltraFeedback, SHP, Chatbot Arena,
// arena-55k, the user's field mapping, detection by rule, and how CSV cells are read.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/data/formats/format-error.ts';
import {
  FORMATS,
  candidateFormats,
  detectFormat,
  formatById,
  mappingFormat,
  mappingProblems,
  readCells,
} from '../../src/core/data/formats/index.ts';
import { hhToPair, isHhTranscript, readTranscript } from '../../src/core/data/formats/hh-rlhf.ts';
import { ultrafeedbackToPair } from '../../src/core/data/formats/ultrafeedback.ts';
import { shpToPair } from '../../src/core/data/formats/shp.ts';
import { arenaToPair } from '../../src/core/data/formats/chatbot-arena.ts';
import { arena55kToPair } from '../../src/core/data/formats/arena-55k.ts';
import { mappedToPair } from '../../src/core/data/formats/mapping.ts';
import { splitConversations } from '../../src/core/data/formats/conversation.ts';

function reasonOf(convert: () => unknown): string {
  try {
    convert();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as Error).message;
  }
  throw new Error('expected a FormatError, got a pair');
}

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('table', () => {
  it('tries the formats in an order where no rule hides a later one', () => {
    expect(FORMATS.map((f) => f.id)).toEqual([
      'arena-55k',
      'rmlab',
      'hh-rlhf',
      'ultrafeedback',
      'trl',
      'shp',
      'chatbot-arena',
      'pandalm',
    ]);
  });

  it('tells arena-55k from RM Lab by winner_model_a, though both have response_a and response_b', () => {
    const a55 = { prompt: '["Hi"]', response_a: '["Hello"]', response_b: '["Hey"]', winner_model_a: 1 };
    expect(detectFormat(a55)).toBe('arena-55k');
    expect(candidateFormats(a55)).toEqual(['arena-55k', 'rmlab']);
    expect(detectFormat({ prompt: 'Hi', response_a: 'Hello', response_b: 'Hey', winner: 'a' })).toBe('rmlab');
  });

  it('tells HH-RLHF from TRL by the transcript markers in the values', () => {
    const hh = { chosen: '\n\nHuman: Hi\n\nAssistant: Hello', rejected: '\n\nHuman: Hi\n\nAssistant: Go away' };
    expect(detectFormat(hh)).toBe('hh-rlhf');
    expect(candidateFormats(hh)).toEqual(['hh-rlhf', 'trl']);
    // Without a leading blank line, as some re-exports write it.
    expect(detectFormat({ chosen: 'Human: Hi\n\nAssistant: Hello', rejected: 'Human: Hi\n\nAssistant: No' })).toBe(
      'hh-rlhf',
    );
    // Plain text, one transcript only, or an explicit prompt: TRL.
    expect(detectFormat({ chosen: 'Paris.', rejected: 'Lyon.' })).toBe('trl');
    expect(detectFormat({ chosen: hh.chosen, rejected: 'Go away' })).toBe('trl');
    expect(detectFormat({ prompt: 'p', ...hh })).toBe('trl');
    // "Human:" inside a sentence is not a turn.
    expect(isHhTranscript('I said Human: hi\n\nAssistant: x')).toBe(false);
    expect(isHhTranscript(['\n\nHuman: x\n\nAssistant: y'])).toBe(false);
  });

  it('tells UltraFeedback from TRL by its score columns', () => {
    const uf = { prompt: 'p', chosen: [], rejected: [], score_chosen: 8, score_rejected: 2 };
    expect(detectFormat(uf)).toBe('ultrafeedback');
    expect(candidateFormats(uf)).toEqual(['ultrafeedback', 'trl']);
  });

  it('detects SHP, Chatbot Arena and PandaLM by their fields', () => {
    expect(detectFormat({ history: 'h', human_ref_A: 'a', human_ref_B: 'b', labels: 1 })).toBe('shp');
    expect(detectFormat({ conversation_a: [], conversation_b: [], winner: 'tie' })).toBe('chatbot-arena');
    expect(detectFormat({ instruction: 'i', response1: 'a', response2: 'b' })).toBe('pandalm');
    expect(candidateFormats({ question: 'q' })).toEqual([]);
    expect(candidateFormats('text')).toEqual([]);
  });
});

describe('Anthropic HH-RLHF', () => {
  it('splits transcripts into the shared turns and each final answer', () => {
    const prefix =
      '\n\nHuman: What grows on a balcony?\n\nAssistant: Tomatoes and herbs.\n\nHuman: Which need the most sun?';
    const pair = hhToPair({
      chosen: `${prefix}\n\nAssistant: Tomatoes: six to eight hours.`,
      rejected: `${prefix}\n\nAssistant: All plants.`,
    });
    expect(pair).toStrictEqual({
      prompt: [user('What grows on a balcony?'), assistant('Tomatoes and herbs.'), user('Which need the most sun?')],
      responseA: 'Tomatoes: six to eight hours.',
      responseB: 'All plants.',
      winner: 'a',
    });
  });

  it('keeps blank lines inside a turn, an empty last turn, and unknown fields', () => {
    const pair = hhToPair({
      chosen: '\n\nHuman: Ideas?\n\nAssistant: Some:\n\n1. Read\n2. Walk',
      rejected: '\n\nHuman: Ideas?\n\nAssistant:',
      source: 'harmless-base',
    });
    expect(pair).toStrictEqual({
      prompt: [user('Ideas?')],
      responseA: 'Some:\n\n1. Read\n2. Walk',
      responseB: '',
      winner: 'a',
      extra: { source: 'harmless-base' },
    });
  });

  it('keeps turns as a conversation when the two transcripts part before the last turn', () => {
    const pair = hhToPair({
      chosen: '\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Bye\n\nAssistant: Bye!',
      rejected: '\n\nHuman: Hi\n\nAssistant: What?\n\nHuman: Bye\n\nAssistant: Whatever.',
    });
    expect(pair.prompt).toEqual([user('Hi')]);
    expect(pair.responseA).toEqual([assistant('Hello!'), user('Bye'), assistant('Bye!')]);
    expect(pair.responseB).toEqual([assistant('What?'), user('Bye'), assistant('Whatever.')]);
  });

  it('reads a transcript that does not start with a blank line', () => {
    expect(readTranscript({ t: '  Human: a\n\nAssistant: b' }, 't')).toEqual([user('a'), assistant('b')]);
  });

  it('rejects what is not a transcript', () => {
    expect(reasonOf(() => hhToPair({ chosen: 'Preamble\n\nHuman: a\n\nAssistant: b', rejected: 'x' }))).toBe(
      '"chosen" must be a transcript of "Human:" and "Assistant:" turns (it has text before the first turn)',
    );
    expect(reasonOf(() => hhToPair({ chosen: '\n\nHuman: a\n\nAssistant: b', rejected: 'no turns' }))).toBe(
      '"rejected" must be a transcript of "Human:" and "Assistant:" turns (it has none)',
    );
    expect(reasonOf(() => hhToPair({ chosen: ['x'], rejected: 'y' }))).toBe('"chosen" must be a string (got an array)');
  });
});

describe('UltraFeedback binarized', () => {
  const row = {
    prompt: 'how can i draw daily',
    prompt_id: '086b3e24',
    chosen: [user('how can i draw daily'), assistant('Set a fixed time.')],
    rejected: [user('how can i draw daily'), assistant('Just draw.')],
    messages: [user('how can i draw daily'), assistant('Set a fixed time.')],
    score_chosen: 8.5,
    score_rejected: 6,
  };

  it('takes the last messages as the responses and keeps ids, messages and scores in extra, with no margin', () => {
    expect(ultrafeedbackToPair(row)).toStrictEqual({
      prompt: 'how can i draw daily',
      responseA: 'Set a fixed time.',
      responseB: 'Just draw.',
      winner: 'a',
      extra: {
        prompt_id: '086b3e24',
        messages: [user('how can i draw daily'), assistant('Set a fixed time.')],
        score_chosen: 8.5,
        score_rejected: 6,
      },
    });
  });

  it('keeps a longer conversation before the answer as turns, and the prompt column in extra', () => {
    const system = { role: 'system', content: 'Be brief.' };
    const pair = ultrafeedbackToPair({
      ...row,
      chosen: [system, user('how can i draw daily'), assistant('A')],
      rejected: [system, user('how can i draw daily'), assistant('B')],
    });
    expect(pair.prompt).toEqual([system, user('how can i draw daily')]);
    expect(pair.extra?.prompt).toBe('how can i draw daily');
    expect([pair.responseA, pair.responseB]).toEqual(['A', 'B']);
  });

  it('rejects conversations that do not end with an answer or do not share their start', () => {
    expect(reasonOf(() => ultrafeedbackToPair({ ...row, chosen: [user('x')] }))).toBe(
      '"chosen" must end with the assistant\'s message (its last message has role "user")',
    );
    expect(reasonOf(() => ultrafeedbackToPair({ ...row, rejected: [] }))).toBe(
      '"rejected" must not be an empty list of messages',
    );
    expect(reasonOf(() => ultrafeedbackToPair({ ...row, rejected: [user('other'), assistant('B')] }))).toBe(
      '"chosen" and "rejected" must have the same messages before their last one',
    );
    expect(reasonOf(() => ultrafeedbackToPair({ ...row, chosen: 'text' }))).toBe(
      '"chosen" must be a list of {role, content} messages (got a string)',
    );
  });
});

describe('Stanford SHP', () => {
  const row = {
    post_id: 'himc90',
    domain: 'askacademia_train',
    upvote_ratio: 0.99,
    history: 'Would Peter Higgs get a job today?',
    c_root_id_A: 'fwhgfmk',
    c_root_id_B: 'fwhi4my',
    created_at_utc_A: 1593535113,
    created_at_utc_B: 1593536194,
    score_A: 52,
    score_B: 54,
    human_ref_A: 'No.',
    human_ref_B: 'It depends on the field.',
    labels: 0,
    seconds_difference: 1081.0,
    score_ratio: 1.0384615385,
  };

  it('reads history as the prompt, labels 0 as B preferred and the domain as the task', () => {
    expect(shpToPair(row)).toStrictEqual({
      prompt: 'Would Peter Higgs get a job today?',
      responseA: 'No.',
      responseB: 'It depends on the field.',
      winner: 'b',
      taskType: 'askacademia_train',
      extra: {
        post_id: 'himc90',
        upvote_ratio: 0.99,
        c_root_id_A: 'fwhgfmk',
        c_root_id_B: 'fwhi4my',
        created_at_utc_A: 1593535113,
        created_at_utc_B: 1593536194,
        score_A: 52,
        score_B: 54,
        seconds_difference: 1081,
        score_ratio: 1.0384615385,
      },
    });
  });

  it('reads labels 1 as A preferred, from a number or a cell', () => {
    expect(shpToPair({ ...row, labels: 1 }).winner).toBe('a');
    expect(shpToPair({ ...row, labels: '1' }).winner).toBe('a');
    expect(shpToPair({ ...row, labels: '0' }).winner).toBe('b');
    expect(reasonOf(() => shpToPair({ ...row, labels: 2 }))).toBe(
      '"labels" must be 1 (human_ref_A preferred) or 0 (human_ref_B preferred) (got 2)',
    );
    expect(reasonOf(() => shpToPair({ ...row, labels: null }))).toBe('"labels" is missing');
  });
});

describe('Chatbot Arena', () => {
  const row = {
    question_id: '58210e39',
    model_a: 'chatglm-6b',
    model_b: 'koala-13b',
    winner: 'model_b',
    judge: 'arena_user_973',
    conversation_a: [user('OpenCL vs CUDA?'), assistant('Two models.')],
    conversation_b: [user('OpenCL vs CUDA?'), assistant('CUDA is NVIDIA only.')],
    turn: 1,
    anony: true,
    language: 'English',
    tstamp: 1682351591.1322,
  };

  it('splits the shared user turn from the answers and maps every field', () => {
    expect(arenaToPair(row)).toStrictEqual({
      prompt: [user('OpenCL vs CUDA?')],
      responseA: 'Two models.',
      responseB: 'CUDA is NVIDIA only.',
      winner: 'b',
      modelA: 'chatglm-6b',
      modelB: 'koala-13b',
      annotatorId: 'arena_user_973',
      timestamp: '2023-04-24T15:53:11.132Z',
      extra: { question_id: '58210e39', turn: 1, anony: true, language: 'English' },
    });
  });

  it('maps the four winners', () => {
    const winners = ['model_a', 'model_b', 'tie', 'tie (bothbad)'].map(
      (w) => arenaToPair({ ...row, winner: w }).winner,
    );
    expect(winners).toEqual(['a', 'b', 'tie', 'both_bad']);
    expect(reasonOf(() => arenaToPair({ ...row, winner: 'both' }))).toBe(
      '"winner" must be one of model_a, model_b, tie, tie (bothbad) (got "both")',
    );
  });

  it('keeps the rest of a multi-turn conversation as each response', () => {
    const pair = arenaToPair({
      ...row,
      conversation_a: [user('Haiku?'), assistant('Leaves fall'), user('Three lines.'), assistant('Leaves\nwind\nbye')],
      conversation_b: [user('Haiku?'), assistant('Autumn.'), user('Three lines.'), assistant('Autumn. Summer.')],
    });
    expect(pair.prompt).toEqual([user('Haiku?')]);
    expect(pair.responseA).toEqual([assistant('Leaves fall'), user('Three lines.'), assistant('Leaves\nwind\nbye')]);
    expect(pair.responseB).toEqual([assistant('Autumn.'), user('Three lines.'), assistant('Autumn. Summer.')]);
  });

  it('reads tstamp from a CSV cell, keeps other time text, and rejects broken conversations', () => {
    expect(arenaToPair({ ...row, tstamp: '1682351591.5' }).timestamp).toBe('2023-04-24T15:53:11.500Z');
    expect(arenaToPair({ ...row, tstamp: '2023-04-24 15:53' }).timestamp).toBe('2023-04-24 15:53');
    expect(reasonOf(() => arenaToPair({ ...row, conversation_a: [] }))).toBe(
      '"conversation_a" must not be an empty conversation',
    );
    expect(reasonOf(() => arenaToPair({ ...row, conversation_b: [{ role: 'user' }] }))).toBe(
      '"conversation_b" must be a list of {role, content} messages (message 1 has no string "content")',
    );
  });
});

describe('arena-55k', () => {
  const row = {
    id: 30192,
    model_a: 'gpt-4-1106-preview',
    model_b: 'gpt-4-0613',
    prompt: '["Is it right?","Pineapple on pizza?"]',
    response_a: '["It is complex.","Ah, the age-old debate!"]',
    response_b: '["As an AI, I have no beliefs.","As an AI, I do not eat."]',
    winner_model_a: 1,
    winner_model_b: 0,
    winner_tie: 0,
  };

  it('reads the JSON-encoded turns into a conversation and the winner columns into a winner', () => {
    expect(arena55kToPair(row)).toStrictEqual({
      prompt: [user('Is it right?')],
      responseA: [assistant('It is complex.'), user('Pineapple on pizza?'), assistant('Ah, the age-old debate!')],
      responseB: [
        assistant('As an AI, I have no beliefs.'),
        user('Pineapple on pizza?'),
        assistant('As an AI, I do not eat.'),
      ],
      winner: 'a',
      modelA: 'gpt-4-1106-preview',
      modelB: 'gpt-4-0613',
      extra: { id: 30192 },
    });
  });

  it('gives a single turn as text answers, a null answer as empty text, and reads CSV cells', () => {
    const pair = arena55kToPair({
      ...row,
      prompt: '["Explain function calling."]',
      response_a: '[null]',
      response_b: '["It runs a function."]',
      winner_model_a: '0',
      winner_model_b: '0',
      winner_tie: '1',
    });
    expect(pair).toMatchObject({
      prompt: [user('Explain function calling.')],
      responseA: '',
      responseB: 'It runs a function.',
      winner: 'tie',
    });
  });

  it('rejects turns that are not a JSON list and winners that are not exactly one 1', () => {
    expect(reasonOf(() => arena55kToPair({ ...row, prompt: 'Is it right?' }))).toBe(
      '"prompt" must be a JSON list of strings, one per turn (got "Is it right?")',
    );
    expect(reasonOf(() => arena55kToPair({ ...row, response_a: '[1]' }))).toBe(
      '"response_a" must be a JSON list of strings, one per turn (turn 1 is a number)',
    );
    expect(reasonOf(() => arena55kToPair({ ...row, response_b: '["one"]' }))).toBe(
      '"response_b" has 1 turns but "prompt" has 2',
    );
    expect(reasonOf(() => arena55kToPair({ ...row, winner_tie: 1 }))).toBe(
      'exactly one of winner_model_a, winner_model_b, winner_tie must be 1 (2 are)',
    );
    expect(reasonOf(() => arena55kToPair({ ...row, winner_model_a: 0 }))).toBe(
      'exactly one of winner_model_a, winner_model_b, winner_tie must be 1 (0 are)',
    );
    expect(reasonOf(() => arena55kToPair({ ...row, winner_model_b: 'yes' }))).toBe(
      '"winner_model_b" must be 0 or 1 (got "yes")',
    );
  });
});

describe('conversations', () => {
  it('keeps at least the last turn on each side, even for identical conversations', () => {
    expect(splitConversations([user('q'), assistant('a')], [user('q'), assistant('a')])).toEqual({
      prompt: [user('q')],
      responseA: 'a',
      responseB: 'a',
    });
    // A last turn that is not an assistant's stays a conversation.
    expect(splitConversations([user('q'), user('more')], [user('q'), assistant('a')])).toEqual({
      prompt: [user('q')],
      responseA: [user('more')],
      responseB: 'a',
    });
  });
});

describe('CSV cells', () => {
  it('reads numbers, JSON and message lists where the format says, and leaves other text alone', () => {
    const uf = formatById('ultrafeedback');
    const cells = readCells(
      {
        prompt: '[1, 2]',
        chosen: '[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]',
        rejected: 'not json',
        messages: '',
        score_chosen: ' 8.5 ',
        score_rejected: 'high',
        prompt_id: '007',
      },
      uf,
    );
    expect(cells).toStrictEqual({
      prompt: '[1, 2]',
      chosen: [user('q'), assistant('a')],
      rejected: 'not json',
      messages: null,
      score_chosen: 8.5,
      score_rejected: 'high',
      prompt_id: '007',
    });
    // A TRL response that merely looks like JSON stays text; a message list is read.
    const trl = readCells(
      { chosen: '[1, 2, 3]', rejected: '[{"role":"assistant","content":"x"}]', margin: '' },
      formatById('trl'),
    );
    expect(trl).toStrictEqual({ chosen: '[1, 2, 3]', rejected: [assistant('x')], margin: null });
  });
});

describe('field mapping', () => {
  const record = { question: 'Capital of France?', ans1: 'Paris', ans2: 'Lyon', pick: '1', rater: 7, note: 'x' };

  it('reads a record with the columns the user named, the rest kept in extra', () => {
    const mapping = {
      prompt: 'question',
      responseA: 'ans1',
      responseB: 'ans2',
      label: { field: 'pick', a: ['1'], b: ['2'], tie: ['0'] },
      annotatorId: 'rater',
    };
    expect(mappedToPair(record, mapping)).toStrictEqual({
      prompt: 'Capital of France?',
      responseA: 'Paris',
      responseB: 'Lyon',
      winner: 'a',
      annotatorId: '7',
      extra: { note: 'x' },
    });
    expect(mappedToPair({ ...record, pick: 2 }, mapping).winner).toBe('b');
    expect(mappedToPair({ ...record, pick: '0' }, mapping).winner).toBe('tie');
    expect(reasonOf(() => mappedToPair({ ...record, pick: '3' }, mapping))).toBe(
      '"pick" must be one of "1", "2", "0" (got "3")',
    );
  });

  it('reads chosen/rejected columns, scores, and a prompt joined from two columns', () => {
    expect(
      mappedToPair(
        { instruction: 'Rewrite.', input: 'Hi there', good: 'Hello', bad: 'Yo' },
        { prompt: ['instruction', 'input'], responseA: 'good', responseB: 'bad', label: { kind: 'chosen-rejected' } },
      ),
    ).toStrictEqual({ prompt: 'Rewrite.\n\nHi there', responseA: 'Hello', responseB: 'Yo', winner: 'a' });
    const scores = { responseA: 'x', responseB: 'y', label: { kind: 'scores' as const, a: 'sx', b: 'sy' } };
    expect(mappedToPair({ x: 'X', y: 'Y', sx: 3, sy: '4.5' }, scores)).toStrictEqual({
      prompt: '',
      responseA: 'X',
      responseB: 'Y',
      winner: 'b',
    });
    expect(mappedToPair({ x: 'X', y: 'Y', sx: 4, sy: 4 }, scores).winner).toBe('tie');
    expect(reasonOf(() => mappedToPair({ x: 'X', y: 'Y', sx: 'n/a', sy: 4 }, scores))).toBe(
      '"sx" must be a number (got "n/a")',
    );
  });

  it('becomes a format adapter: required fields, detection, cells, extra', () => {
    const spec = mappingFormat({
      prompt: 'q',
      responseA: 'a',
      responseB: 'b',
      label: { field: 'w', a: ['A'], b: ['B'] },
      margin: 'm',
    });
    expect([spec.id, [...spec.fields], [...spec.optionalFields]]).toEqual(['custom', ['q', 'a', 'b', 'w'], ['m']]);
    expect(spec.detect({ q: 1, a: 1, b: 1, w: 1 })).toBe(true);
    expect(spec.detect({ q: 1, a: 1, b: 1 })).toBe(false);
    expect(spec.cells).toEqual({ q: 'messages', a: 'messages', b: 'messages', m: 'number' });
    expect(spec.toPair(readCells({ q: 'Q', a: 'x', b: 'y', w: 'B', m: '0.5' }, spec))).toStrictEqual({
      prompt: 'Q',
      responseA: 'x',
      responseB: 'y',
      winner: 'b',
      margin: 0.5,
    });
  });

  it('names what is wrong with a mapping', () => {
    expect(
      mappingProblems({ responseA: 'x', responseB: 'x', label: { field: 'w', a: ['1'], b: ['1', '2'] } }, ['x', 'y']),
    ).toEqual([
      'the two responses must come from different fields',
      'the label value "1" is given more than one meaning',
      'the file has no field "w"',
    ]);
    expect(
      mappingProblems({ prompt: 'p', responseA: 'p', responseB: 'y', label: { field: 'w', a: [], b: ['2'] } }),
    ).toEqual(['"p" is mapped to more than one role', 'say which label values mean A and which mean B']);
    expect(
      mappingProblems({ prompt: 'p', responseA: 'x', responseB: 'y', label: { kind: 'chosen-rejected' } }, [
        'p',
        'x',
        'y',
      ]),
    ).toEqual([]);
  });
});
