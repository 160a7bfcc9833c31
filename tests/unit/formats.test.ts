import { describe, expect, it } from 'vitest';
import type { PairInput } from '../../src/core/data/pair.ts';
import { FormatError } from '../../src/core/data/formats/format-error.ts';
import { FORMATS, detectFormat, toPair, unknownRecordReason } from '../../src/core/data/formats/index.ts';
import { pairToRmlab, rmlabToPair } from '../../src/core/data/formats/rmlab.ts';
import { trlToPair } from '../../src/core/data/formats/trl.ts';
import { pandalmToPair } from '../../src/core/data/formats/pandalm.ts';

/** The FormatError message a conversion throws; fails the test when it throws nothing or something else. */
function reasonOf(convert: () => unknown): string {
  try {
    convert();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as Error).message;
  }
  throw new Error('expected a FormatError, got a pair');
}

const rmlab = {
  prompt: 'Write a haiku about rain.',
  response_a: 'Soft rain on tin roofs',
  response_b: 'Rain is water.',
};

describe('RM Lab record', () => {
  it('reads every field', () => {
    const pair = rmlabToPair({
      ...rmlab,
      winner: 'response_a',
      model_a_version: 'gpt-x-2024-05',
      model_b_version: 'llama-3.1-8b',
      annotator_id: 'ann-7',
      task_type: 'poetry',
      timestamp: '2024-05-01T10:00:00Z',
      margin: 0.5,
      votes: { a: 2, b: 1 },
      batch: 'b12',
      flags: { reviewed: true },
    });
    expect(pair).toStrictEqual({
      prompt: 'Write a haiku about rain.',
      responseA: 'Soft rain on tin roofs',
      responseB: 'Rain is water.',
      winner: 'a',
      votes: { a: 2, b: 1, tie: 0, both_bad: 0 },
      margin: 0.5,
      modelA: 'gpt-x-2024-05',
      modelB: 'llama-3.1-8b',
      annotatorId: 'ann-7',
      taskType: 'poetry',
      timestamp: '2024-05-01T10:00:00Z',
      extra: { batch: 'b12', flags: { reviewed: true } },
    });
  });

  it('reads the four winners and the short a / b', () => {
    const winners = ['response_a', 'response_b', 'tie', 'both_bad', 'a', 'b'].map(
      (w) => rmlabToPair({ ...rmlab, winner: w }).winner,
    );
    expect(winners).toEqual(['a', 'b', 'tie', 'both_bad', 'a', 'b']);
  });

  it('leaves absent and null optional fields out', () => {
    const pair = rmlabToPair({
      ...rmlab,
      winner: 'tie',
      margin: null,
      task_type: null,
      annotator_id: 42,
      timestamp: 1714557600,
    });
    expect(pair).toStrictEqual({
      prompt: rmlab.prompt,
      responseA: rmlab.response_a,
      responseB: rmlab.response_b,
      winner: 'tie',
      annotatorId: '42',
      timestamp: '1714557600',
    });
  });

  it('reads conversations as messages', () => {
    const pair = rmlabToPair({
      prompt: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      response_a: [{ role: 'assistant', content: 'Hello!', name: 'bot' }],
      response_b: 'Hey',
      winner: 'b',
    });
    expect(pair.prompt).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(pair.responseA).toEqual([{ role: 'assistant', content: 'Hello!', name: 'bot' }]);
    expect(pair.responseB).toBe('Hey');
  });

  it('names the field that is wrong', () => {
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'A' }))).toBe(
      '"winner" must be one of response_a, response_b, tie, both_bad (got "A")',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 1 }))).toBe(
      '"winner" must be one of response_a, response_b, tie, both_bad (got 1)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'toString' }))).toBe(
      '"winner" must be one of response_a, response_b, tie, both_bad (got "toString")',
    );
    expect(reasonOf(() => rmlabToPair({ prompt: 'p', response_a: 'x', winner: 'a' }))).toBe('"response_b" is missing');
    expect(reasonOf(() => rmlabToPair({ ...rmlab }))).toBe('"winner" is missing');
    expect(reasonOf(() => rmlabToPair({ response_a: 'x', response_b: 'y', winner: 'a' }))).toBe('"prompt" is missing');
    expect(reasonOf(() => rmlabToPair({ ...rmlab, prompt: 7, winner: 'a' }))).toBe(
      '"prompt" must be a string or a list of {role, content} messages (got a number)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, response_a: null, winner: 'a' }))).toBe(
      '"response_a" must be a string or a list of {role, content} messages (got null)',
    );
    expect(
      reasonOf(() =>
        rmlabToPair({ ...rmlab, response_b: [{ role: 'assistant', content: 'ok' }, { role: 'user' }], winner: 'a' }),
      ),
    ).toBe('"response_b" must be a string or a list of {role, content} messages (message 2 has no string "content")');
    expect(reasonOf(() => rmlabToPair({ ...rmlab, prompt: ['hi'], winner: 'a' }))).toBe(
      '"prompt" must be a string or a list of {role, content} messages (message 1 is a string, not an object)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', margin: 'high' }))).toBe(
      '"margin" must be a finite number (got "high")',
    );
    expect(
      reasonOf(() =>
        rmlabToPair(JSON.parse('{"prompt":"p","response_a":"x","response_b":"y","winner":"a","margin":1e999}')),
      ),
    ).toBe('"margin" must be a finite number (got Infinity)');
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', task_type: 3 }))).toBe(
      '"task_type" must be a string (got a number)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', annotator_id: ['x'] }))).toBe(
      '"annotator_id" must be a string or a number (got an array)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', votes: { a: 1, c: 2 } }))).toBe(
      '"votes" may only have the keys a, b, tie, both_bad (got "c")',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', votes: { a: -1 } }))).toBe(
      '"votes.a" must be a whole number of votes, 0 or more (got -1)',
    );
    expect(reasonOf(() => rmlabToPair({ ...rmlab, winner: 'a', votes: [1, 2] }))).toBe(
      '"votes" must be an object like {"a": 2, "b": 1} (got an array)',
    );
  });

  it('keeps markup verbatim: it is text, never HTML', () => {
    const payload = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const pair = rmlabToPair({
      prompt: payload,
      response_a: `&lt;${payload}`,
      response_b: 'b',
      winner: 'a',
      note: payload,
    });
    expect(pair.prompt).toBe(payload);
    expect(pair.responseA).toBe(`&lt;${payload}`);
    expect(pair.extra).toEqual({ note: payload });
  });

  it('keeps a "__proto__" field as data without touching any prototype', () => {
    const record = JSON.parse(
      '{"prompt":"p","response_a":"x","response_b":"y","winner":"a","__proto__":{"polluted":1}}',
    );
    const pair = rmlabToPair(record);
    expect(Object.getPrototypeOf(pair.extra)).toBe(Object.prototype);
    expect(Object.hasOwn(pair.extra!, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(pair.extra, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((pair.extra as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes a pair that reads back the same', () => {
    const pair: PairInput = {
      prompt: [{ role: 'user', content: 'Hi' }],
      responseA: 'a',
      responseB: [{ role: 'assistant', content: 'b' }],
      winner: 'both_bad',
      votes: { a: 0, b: 0, tie: 1, both_bad: 2 },
      margin: -0.25,
      modelA: 'm1',
      modelB: 'm2',
      annotatorId: 'x',
      taskType: 't',
      timestamp: '2024',
      extra: { source_id: '17' },
    };
    const record = pairToRmlab(pair);
    expect(record).toEqual({
      source_id: '17',
      prompt: [{ role: 'user', content: 'Hi' }],
      response_a: 'a',
      response_b: [{ role: 'assistant', content: 'b' }],
      winner: 'both_bad',
      model_a_version: 'm1',
      model_b_version: 'm2',
      annotator_id: 'x',
      task_type: 't',
      timestamp: '2024',
      margin: -0.25,
      votes: { a: 0, b: 0, tie: 1, both_bad: 2 },
    });
    expect(rmlabToPair(JSON.parse(JSON.stringify(record)))).toStrictEqual(pair);
  });

  it('writes an extra field named like its own fields under another name', () => {
    const record = pairToRmlab({
      prompt: 'p',
      responseA: 'a',
      responseB: 'b',
      winner: 'a',
      extra: { winner: 'model_b', margin: 3 },
    });
    expect(record).toEqual({
      extra_winner: 'model_b',
      extra_margin: 3,
      prompt: 'p',
      response_a: 'a',
      response_b: 'b',
      winner: 'response_a',
    });
    expect(rmlabToPair(record).extra).toEqual({ extra_winner: 'model_b', extra_margin: 3 });
  });
});

describe('TRL preference data', () => {
  it('maps chosen to A, rejected to B, winner a, with an explicit prompt', () => {
    expect(
      trlToPair({ prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.', margin: 1.5, id: 'q1' }),
    ).toStrictEqual({
      prompt: 'Capital of France?',
      responseA: 'Paris.',
      responseB: 'Lyon.',
      winner: 'a',
      margin: 1.5,
      extra: { id: 'q1' },
    });
  });

  it('keeps whole transcripts and an empty prompt when strings have no prompt field', () => {
    const chosen = '\n\nHuman: Hi\n\nAssistant: Hello, how can I help?';
    const rejected = '\n\nHuman: Hi\n\nAssistant: Go away.';
    expect(trlToPair({ chosen, rejected })).toStrictEqual({
      prompt: '',
      responseA: chosen,
      responseB: rejected,
      winner: 'a',
    });
  });

  it('takes the shared turns of conversations as the implicit prompt', () => {
    const system = { role: 'system', content: 'Be kind.' };
    const user = { role: 'user', content: 'What color is the sky?' };
    const pair = trlToPair({
      chosen: [system, user, { role: 'assistant', content: 'Blue.' }],
      rejected: [system, user, { role: 'assistant', content: 'Green.' }],
      score_chosen: 9,
      score_rejected: 2,
    });
    expect(pair).toStrictEqual({
      prompt: [system, user],
      responseA: [{ role: 'assistant', content: 'Blue.' }],
      responseB: [{ role: 'assistant', content: 'Green.' }],
      winner: 'a',
      extra: { score_chosen: 9, score_rejected: 2 },
    });
  });

  it('leaves each response at least its last turn when one conversation extends the other', () => {
    const user = { role: 'user', content: 'Hi' };
    const hello = { role: 'assistant', content: 'Hello' };
    const pair = trlToPair({
      chosen: [user, hello],
      rejected: [user, hello, { role: 'assistant', content: 'And more' }],
    });
    expect(pair.prompt).toEqual([user]);
    expect(pair.responseA).toEqual([hello]);
    expect(pair.responseB).toEqual([hello, { role: 'assistant', content: 'And more' }]);
  });

  it('compares roles too when finding the shared prompt', () => {
    const pair = trlToPair({
      chosen: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'y' },
      ],
      rejected: [
        { role: 'system', content: 'x' },
        { role: 'assistant', content: 'z' },
      ],
    });
    expect(pair.prompt).toEqual([]);
  });

  it('keeps explicit conversational prompts as given', () => {
    const pair = trlToPair({
      prompt: [{ role: 'user', content: 'Q' }],
      chosen: [{ role: 'assistant', content: 'good' }],
      rejected: [{ role: 'assistant', content: 'bad' }],
    });
    expect(pair).toStrictEqual({
      prompt: [{ role: 'user', content: 'Q' }],
      responseA: [{ role: 'assistant', content: 'good' }],
      responseB: [{ role: 'assistant', content: 'bad' }],
      winner: 'a',
    });
  });

  it('rejects malformed rows with the field named', () => {
    expect(reasonOf(() => trlToPair({ chosen: 'x' }))).toBe('"rejected" is missing');
    expect(reasonOf(() => trlToPair({ chosen: 'x', rejected: [{ role: 'assistant', content: 'y' }] }))).toBe(
      '"chosen" and "rejected" must both be strings or both be lists of messages',
    );
    expect(reasonOf(() => trlToPair({ chosen: 'x', rejected: 'y', margin: '2' }))).toBe(
      '"margin" must be a finite number (got "2")',
    );
    expect(reasonOf(() => trlToPair({ prompt: 5, chosen: 'x', rejected: 'y' }))).toBe(
      '"prompt" must be a string or a list of {role, content} messages (got a number)',
    );
    expect(reasonOf(() => trlToPair({ chosen: { text: 'x' }, rejected: 'y' }))).toBe(
      '"chosen" must be a string or a list of {role, content} messages (got an object)',
    );
  });
});

// Row 0 of PandaLM's testset-v1.json, as published (numbers where its README says strings).
const pandaRow = {
  idx: 0,
  motivation_app: 'Grammarly',
  cmp_key: 'bloom-7b_llama-7b',
  instruction: 'Rewrite the sentence more concisely.',
  input: 'If you have any questions about my rate, please let me know.',
  response1: 'If you have any questions about my rate, please let me know.',
  response2: 'If you have any questions, please let me know.',
  annotator1: 2,
  annotator2: 2,
  annotator3: 2,
};

describe('PandaLM', () => {
  it('reads a published row', () => {
    expect(pandalmToPair(pandaRow)).toStrictEqual({
      prompt: 'Rewrite the sentence more concisely.\n\nIf you have any questions about my rate, please let me know.',
      responseA: 'If you have any questions about my rate, please let me know.',
      responseB: 'If you have any questions, please let me know.',
      winner: 'b',
      votes: { a: 0, b: 3, tie: 0, both_bad: 0 },
      modelA: 'bloom-7b',
      modelB: 'llama-7b',
      taskType: 'Grammarly',
      extra: { idx: 0 },
    });
  });

  it('reads annotators written as strings and counts a strict majority', () => {
    const votes = (a1: string, a2: string, a3: string) =>
      pandalmToPair({ ...pandaRow, annotator1: a1, annotator2: a2, annotator3: a3 });
    expect(votes('1', '1', '2')).toMatchObject({ winner: 'a', votes: { a: 2, b: 1, tie: 0, both_bad: 0 } });
    expect(votes('2', '0', '2')).toMatchObject({ winner: 'b', votes: { a: 0, b: 2, tie: 1, both_bad: 0 } });
    expect(votes('1', '2', '0')).toMatchObject({ winner: 'tie', votes: { a: 1, b: 1, tie: 1, both_bad: 0 } });
    expect(votes('0', '0', '1')).toMatchObject({ winner: 'tie', votes: { a: 1, b: 0, tie: 2, both_bad: 0 } });
    // Two annotators who disagree: no strict majority.
    const two = pandalmToPair({ instruction: 'i', response1: 'x', response2: 'y', annotator1: 1, annotator2: 2 });
    expect(two).toStrictEqual({
      prompt: 'i',
      responseA: 'x',
      responseB: 'y',
      winner: 'tie',
      votes: { a: 1, b: 1, tie: 0, both_bad: 0 },
    });
  });

  it('uses the instruction alone when the input is empty', () => {
    expect(pandalmToPair({ ...pandaRow, input: '' }).prompt).toBe('Rewrite the sentence more concisely.');
  });

  it('splits cmp_key on its one underscore, keeping dots and dashes in names', () => {
    const pair = pandalmToPair({ ...pandaRow, cmp_key: 'cerebras-gpt-6.7B_pythia-6.9b' });
    expect([pair.modelA, pair.modelB]).toEqual(['cerebras-gpt-6.7B', 'pythia-6.9b']);
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, cmp_key: 'a_b_c' }))).toBe(
      '"cmp_key" must be two model names joined by one "_" (got "a_b_c")',
    );
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, cmp_key: 'llama-7b' }))).toBe(
      '"cmp_key" must be two model names joined by one "_" (got "llama-7b")',
    );
  });

  it('keeps a response that the source stores as the JSON value true, as text', () => {
    expect(pandalmToPair({ ...pandaRow, response1: true }).responseA).toBe('true');
  });

  it('rejects bad annotations and missing fields', () => {
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, annotator2: '3' }))).toBe(
      '"annotator2" must be "0" (tie), "1" (response1) or "2" (response2) (got "3")',
    );
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, annotator3: 'constructor' }))).toBe(
      '"annotator3" must be "0" (tie), "1" (response1) or "2" (response2) (got "constructor")',
    );
    const { annotator1: _1, annotator2: _2, annotator3: _3, ...unannotated } = pandaRow;
    expect(reasonOf(() => pandalmToPair(unannotated))).toBe('"annotator1" is missing');
    const { response2: _r, ...noResponse } = pandaRow;
    expect(reasonOf(() => pandalmToPair(noResponse))).toBe('"response2" is missing');
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, instruction: ['x'] }))).toBe(
      '"instruction" must be a string (got an array)',
    );
    expect(reasonOf(() => pandalmToPair({ ...pandaRow, response1: null }))).toBe(
      '"response1" must be a string (got null)',
    );
  });

  it('keeps idx and unknown fields in extra', () => {
    expect(pandalmToPair({ ...pandaRow, idx: '12', reviewer_note: 'odd' }).extra).toEqual({
      idx: '12',
      reviewer_note: 'odd',
    });
  });
});

describe('format table', () => {
  it('lists the formats with their expected fields', () => {
    expect(FORMATS.map((f) => [f.id, f.label, [...f.fields]])).toEqual([
      [
        'arena-55k',
        'Arena human preference 55k',
        ['prompt', 'response_a', 'response_b', 'winner_model_a', 'winner_model_b', 'winner_tie'],
      ],
      ['rmlab', 'RM Lab', ['prompt', 'response_a', 'response_b', 'winner']],
      ['hh-rlhf', 'Anthropic HH-RLHF', ['chosen', 'rejected']],
      ['ultrafeedback', 'UltraFeedback', ['prompt', 'chosen', 'rejected', 'score_chosen', 'score_rejected']],
      ['trl', 'TRL', ['chosen', 'rejected']],
      ['shp', 'Stanford SHP', ['history', 'human_ref_A', 'human_ref_B', 'labels']],
      ['chatbot-arena', 'Chatbot Arena', ['conversation_a', 'conversation_b', 'winner']],
      ['pandalm', 'PandaLM', ['instruction', 'response1', 'response2', 'annotator1']],
    ]);
  });

  it('detects a format by its fields', () => {
    expect(detectFormat({ ...rmlab, winner: 'a' })).toBe('rmlab');
    expect(detectFormat({ response_a: 'x', response_b: 'y' })).toBe('rmlab');
    expect(detectFormat({ chosen: 'x', rejected: 'y' })).toBe('trl');
    expect(detectFormat({ prompt: 'p', chosen: [], rejected: [] })).toBe('trl');
    expect(detectFormat(pandaRow)).toBe('pandalm');
    expect(detectFormat({ question: 'q', answer: 'a' })).toBeUndefined();
    expect(detectFormat({ chosen: 'x' })).toBeUndefined();
    expect(detectFormat([{ chosen: 'x', rejected: 'y' }])).toBeUndefined();
    expect(detectFormat(null)).toBeUndefined();
    expect(detectFormat('chosen')).toBeUndefined();
    // Inherited names do not count as fields.
    expect(detectFormat(Object.create({ chosen: 'x', rejected: 'y' }))).toBeUndefined();
  });

  it('converts by detection or by the format given', () => {
    expect(toPair({ chosen: 'x', rejected: 'y' })).toStrictEqual({
      prompt: '',
      responseA: 'x',
      responseB: 'y',
      winner: 'a',
    });
    expect(toPair(pandaRow, 'pandalm').winner).toBe('b');
    expect(reasonOf(() => toPair({ chosen: 'x', rejected: 'y' }, 'rmlab'))).toBe('"prompt" is missing');
  });

  it('explains a record it does not recognise', () => {
    const reason =
      'unknown record: expected the fields of Arena human preference 55k (prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie), ' +
      'RM Lab (prompt, response_a, response_b, winner), Anthropic HH-RLHF (chosen, rejected), ' +
      'UltraFeedback (prompt, chosen, rejected, score_chosen, score_rejected), TRL (chosen, rejected), ' +
      'Stanford SHP (history, human_ref_A, human_ref_B, labels), Chatbot Arena (conversation_a, conversation_b, winner) ' +
      'or PandaLM (instruction, response1, response2, annotator1)';
    expect(unknownRecordReason()).toBe(reason);
    expect(reasonOf(() => toPair({ question: 'q' }))).toBe(reason);
    expect(reasonOf(() => toPair([1, 2]))).toBe('expected a JSON object, got an array');
    expect(reasonOf(() => toPair('text'))).toBe('expected a JSON object, got a string');
  });
});
