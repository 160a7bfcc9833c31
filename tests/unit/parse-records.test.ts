// The whole import path as the worker will run it: bytes -> readRecords -> parseRecords, on
// real-shaped files of every format and container, with duplicates and the user's field mapping.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { type ParseOptions, type ParsedLine, parsePairs, parseRecords } from '../../src/core/data/parse.ts';
import { type ReadRecordsOptions, readRecords } from '../../src/core/data/records.ts';
import { gzipBytes } from '../../src/core/data/source.ts';
import { DuplicateDetector, pairKey } from '../../src/core/data/duplicates.ts';
import type { PairInput } from '../../src/core/data/pair.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/formats/${name}`, import.meta.url)));
// PandaLM's raw file lives in the workspace's shared/ folder, beside the repository (CI has it);
// a clone on its own skips the tests that need it.
const PANDALM_PATH = new URL('../../../shared/data/pandalm-testset-v1.json', import.meta.url);
const HAVE_PANDALM = existsSync(PANDALM_PATH);
const PANDALM = HAVE_PANDALM ? new Uint8Array(readFileSync(PANDALM_PATH)) : new Uint8Array();

async function parse(
  input: string | Uint8Array,
  options: ParseOptions = {},
  read: ReadRecordsOptions = {},
): Promise<ParsedLine[]> {
  const bytes = typeof input === 'string' ? encode(input) : input;
  const out: ParsedLine[] = [];
  for await (const p of parseRecords(readRecords(streamOfBytes(bytes, 4096), read), options)) out.push(p);
  return out;
}

const pairs = (parsed: ParsedLine[]) => parsed.flatMap((p) => (p.kind === 'pair' ? [p.pair] : []));
const summary = (parsed: ParsedLine[]) =>
  parsed.map((p) =>
    p.kind === 'pair'
      ? [p.line, p.format, p.pair.winner, ...(p.duplicateOf === undefined ? [] : [`duplicate of ${p.duplicateOf}`])]
      : [p.rejected.line, p.rejected.reason],
  );

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('real-shaped files', () => {
  it('HH-RLHF JSONL', async () => {
    const parsed = await parse(fixture('hh-rlhf.jsonl'));
    expect(summary(parsed)).toEqual([
      [1, 'hh-rlhf', 'a'],
      [2, 'hh-rlhf', 'a'],
      [3, 'hh-rlhf', 'a'],
    ]);
    expect(pairs(parsed)[0]).toStrictEqual({
      prompt: [
        user('What are some good vegetables to grow on a small balcony?'),
        assistant(
          'Cherry tomatoes, lettuce, spinach, radishes and herbs such as basil and mint all grow well in containers.',
        ),
        user('Which of those need the most sun?'),
      ],
      responseA:
        'Tomatoes need the most: six to eight hours of direct sun a day. Lettuce and spinach cope with partial shade.',
      responseB: 'All plants need sun.',
      winner: 'a',
    });
    expect(pairs(parsed)[1]?.responseA).toBe(
      'Here are some ideas:\n\n1. Visit a museum\n2. Bake bread\n3. Start a jigsaw puzzle',
    );
    expect(pairs(parsed)[2]?.responseB).toBe('');
  });

  it('UltraFeedback as JSONL and as CSV give the same pairs', async () => {
    const jsonl = await parse(fixture('ultrafeedback-binarized.jsonl'));
    const csv = await parse(fixture('ultrafeedback-binarized.csv'));
    expect(summary(jsonl)).toEqual([
      [1, 'ultrafeedback', 'a'],
      [2, 'ultrafeedback', 'a'],
    ]);
    expect(summary(csv)).toEqual([
      [2, 'ultrafeedback', 'a'],
      [3, 'ultrafeedback', 'a'],
    ]);
    expect(pairs(csv)).toStrictEqual(pairs(jsonl));
    expect(pairs(jsonl)[1]).toStrictEqual({
      prompt: 'Translate "Bonjour, comment ça va ?" into English.',
      responseA: '"Hello, how are you?"',
      responseB: 'Good morning.',
      winner: 'a',
      extra: {
        prompt_id: '2fe8d7cdd2d3f5d0b9bc5ba8a3be2a4b4f6b0e57e1dbe1c5b6bd6a2d5bd3c1f0',
        messages: [user('Translate "Bonjour, comment ça va ?" into English.'), assistant('"Hello, how are you?"')],
        score_chosen: 10,
        score_rejected: 3,
      },
    });
  });

  it('SHP as JSONL and as a CRLF TSV give the same pairs', async () => {
    const jsonl = await parse(fixture('shp.jsonl'));
    const tsv = await parse(fixture('shp.tsv'));
    expect(summary(jsonl)).toEqual([
      [1, 'shp', 'b'],
      [2, 'shp', 'a'],
    ]);
    expect(summary(tsv)).toEqual([
      [2, 'shp', 'b'],
      [3, 'shp', 'a'],
    ]);
    expect(pairs(tsv)).toStrictEqual(pairs(jsonl));
    expect(pairs(jsonl)[1]).toMatchObject({
      prompt: 'Why does my risotto always turn out gluey?',
      responseB: 'Use more butter.',
      taskType: 'askculinary_train',
      extra: { post_id: 'nq3uf5', score_A: 31, score_B: 9, score_ratio: 3.4444444444 },
    });
  });

  it('Chatbot Arena as a pretty-printed JSON array', async () => {
    const parsed = await parse(fixture('chatbot-arena.json'));
    expect(summary(parsed)).toEqual([
      [2, 'chatbot-arena', 'b'],
      [56, 'chatbot-arena', 'both_bad'],
    ]);
    const [first, second] = pairs(parsed);
    expect(first).toMatchObject({
      prompt: [user('What is the difference between OpenCL and CUDA?')],
      responseA: 'OpenCL and CUDA are two different programming models that are used for parallel computing.',
      modelA: 'chatglm-6b',
      modelB: 'koala-13b',
      annotatorId: 'arena_user_973',
      timestamp: '2023-04-24T15:53:11.132Z',
    });
    expect(Object.keys(first?.extra ?? {})).toEqual([
      'question_id',
      'turn',
      'anony',
      'language',
      'openai_moderation',
      'toxic_chat_tag',
    ]);
    expect(second?.responseA).toEqual([
      assistant('Leaves fall from the trees'),
      user('That is only one line. Write all three.'),
      assistant('Leaves fall from the trees\nA cold wind whispers softly\nAutumn says goodbye'),
    ]);
  });

  it('arena-55k as the Kaggle CSV', async () => {
    const parsed = await parse(fixture('arena-55k.csv'));
    expect(summary(parsed)).toEqual([
      [2, 'arena-55k', 'a'],
      [3, 'arena-55k', 'b'],
      [4, 'arena-55k', 'tie'],
    ]);
    expect(pairs(parsed)[0]).toStrictEqual({
      prompt: [user('Is it morally right to try to have a certain percentage of females on managerial positions?')],
      responseA: [
        assistant(
          'The question of whether it is morally right to aim for a certain percentage of women in management is complex, and people disagree.',
        ),
        user('OK, does pineapple belong on a pizza? Relax and give me fun answer.'),
        assistant(
          'Ah, the age-old pizza debate! Pineapple on pizza is like a "sweet, tropical vacation" for your taste buds.',
        ),
      ],
      responseB: [
        assistant("As an AI, I don't have personal beliefs, but many argue that diversity in leadership is valuable."),
        user('OK, does pineapple belong on a pizza? Relax and give me fun answer.'),
        assistant("As an AI, I don't eat, but many people enjoy the sweet and salty mix."),
      ],
      winner: 'a',
      modelA: 'gpt-4-1106-preview',
      modelB: 'gpt-4-0613',
      extra: { id: 30192 },
    });
    expect(pairs(parsed)[1]?.responseA).toBe(
      'A marriage license is a legal document that allows a couple to get married.\nA marriage certificate records that the marriage took place.',
    );
    expect(pairs(parsed)[2]?.responseA).toBe('');
  });

  it.skipIf(!HAVE_PANDALM)('PandaLM: all 999 rows, with the winners its annotators give, gzipped or not', async () => {
    const parsed = await parse(PANDALM);
    expect(parsed).toHaveLength(999);
    const winners = { a: 0, b: 0, tie: 0, both_bad: 0 };
    for (const pair of pairs(parsed)) winners[pair.winner]++;
    expect(winners).toEqual({ a: 422, b: 472, tie: 105, both_bad: 0 });
    expect(summary(await parse(await gzipBytes(PANDALM)))).toEqual(summary(parsed));
  });
});

describe('duplicates', () => {
  it('marks a pair that repeats an earlier one exactly with that pair’s line, and keeps it', async () => {
    const row = (winner: string, prompt = 'p') => JSON.stringify({ prompt, response_a: 'x', response_b: 'y', winner });
    const parsed = await parse([row('a'), row('b'), row('response_a'), row('a', 'q'), '', row('a')].join('\n'));
    expect(summary(parsed)).toEqual([
      [1, 'rmlab', 'a'],
      [2, 'rmlab', 'b'],
      [3, 'rmlab', 'a', 'duplicate of 1'],
      [4, 'rmlab', 'a'],
      [6, 'rmlab', 'a', 'duplicate of 1'],
    ]);
    expect(summary(await parse([row('a'), row('a')].join('\n'), { duplicates: false }))).toEqual([
      [1, 'rmlab', 'a'],
      [2, 'rmlab', 'a'],
    ]);
  });

  it.skipIf(!HAVE_PANDALM)(
    'finds the 99 exact duplicates in the PandaLM test set (different models, identical answers)',
    async () => {
      const parsed = await parse(PANDALM);
      const duplicates = parsed.flatMap((p) =>
        p.kind === 'pair' && p.duplicateOf !== undefined ? [[p.line, p.duplicateOf]] : [],
      );
      expect(duplicates).toHaveLength(99);
      // Row idx 2 (line 26) is row idx 0 (line 2) again: the same two answers, from cerebras-gpt instead of bloom.
      expect(duplicates[0]).toEqual([26, 2]);
    },
  );

  it('compares what the turns say, not how a message is decorated', () => {
    const a: PairInput = { prompt: [{ role: 'user', content: 'q' }], responseA: 'x', responseB: 'y', winner: 'a' };
    const b: PairInput = { ...a, prompt: [{ role: 'user', content: 'q', name: 'bob' } as never] };
    expect(pairKey(a)).toBe(pairKey(b));
    expect(pairKey(a)).not.toBe(pairKey({ ...a, prompt: 'user: q' }));
    const detector = new DuplicateDetector();
    expect([detector.check(a, 3), detector.check(b, 9), detector.check({ ...a, winner: 'b' }, 10)]).toEqual([
      undefined,
      3,
      undefined,
    ]);
    expect(detector.distinct).toBe(2);
  });
});

describe('reasons', () => {
  it('names the element of a JSON array that is rejected', async () => {
    const text =
      '[\n  {"prompt": "p"},\n  {"prompt": "p", "response_a": "x", "response_b": "y", "winner": "a"},\n  7,\n  {"response_a": "x", "response_b": "y"}\n]';
    expect(summary(await parse(text))).toEqual([
      [
        2,
        'element [0]: unknown record: expected the fields of Arena human preference 55k (prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie), RM Lab (prompt, response_a, response_b, winner), Anthropic HH-RLHF (chosen, rejected), UltraFeedback (prompt, chosen, rejected, score_chosen, score_rejected), TRL (chosen, rejected), Stanford SHP (history, human_ref_A, human_ref_B, labels), Chatbot Arena (conversation_a, conversation_b, winner) or PandaLM (instruction, response1, response2, annotator1)',
      ],
      [3, 'rmlab', 'a'],
      [4, 'element [2]: expected a JSON object, got a number'],
      [5, 'element [3]: "prompt" is missing'],
    ]);
  });

  it('gives an HH row without transcripts its own reason, not "this is TRL"', async () => {
    const hh = JSON.stringify({ chosen: '\n\nHuman: a\n\nAssistant: b', rejected: '\n\nHuman: a\n\nAssistant: c' });
    const parsed = await parse([hh, JSON.stringify({ chosen: 'plain', rejected: 'text' })].join('\n'));
    expect(summary(parsed)).toEqual([
      [1, 'hh-rlhf', 'a'],
      [2, '"chosen" must be a transcript of "Human:" and "Assistant:" turns (it has none)'],
    ]);
  });

  it('reads CSV cells as the format needs and names a cell that is not a number', async () => {
    const csv =
      'prompt,chosen,rejected,margin\nq,"[{""role"":""assistant"",""content"":""a""}]","[{""role"":""assistant"",""content"":""b""}]",1.5\nq,x,y,big\n';
    const parsed = await parse(csv);
    expect(summary(parsed)).toEqual([
      [2, 'trl', 'a'],
      [3, '"margin" must be a finite number (got "big")'],
    ]);
    expect(pairs(parsed)[0]).toStrictEqual({
      prompt: 'q',
      responseA: [assistant('a')],
      responseB: [assistant('b')],
      winner: 'a',
      margin: 1.5,
    });
  });

  it('keeps the old line entry point: parsePairs over JSONL lines', async () => {
    const out: ParsedLine[] = [];
    for await (const p of parsePairs([
      { line: 4, text: '{"chosen":"a","rejected":"b"}' },
      { line: 5, text: '{"chosen":"a","rejected":"b"}' },
    ]))
      out.push(p);
    expect(summary(out)).toEqual([
      [4, 'trl', 'a'],
      [5, 'trl', 'a', 'duplicate of 4'],
    ]);
  });
});

describe('field mapping', () => {
  const csv =
    'id,question,answer_1,answer_2,better\n1,2+2?,4,5,first\n2,Capital of Peru?,Lima,Cusco,second\n3,Hi,Hello,Hey,same\n4,Oops,a,b,\n';
  const mapping = {
    prompt: 'question',
    responseA: 'answer_1',
    responseB: 'answer_2',
    label: { field: 'better', a: ['first'], b: ['second'], tie: ['same'] },
  };

  it('reads a file of an unknown schema with the user’s mapping', async () => {
    const parsed = await parse(csv, { mapping });
    expect(summary(parsed)).toEqual([
      [2, 'custom', 'a'],
      [3, 'custom', 'b'],
      [4, 'custom', 'tie'],
      [5, '"better" must be one of "first", "second", "same" (got "")'],
    ]);
    expect(pairs(parsed)[1]).toStrictEqual({
      prompt: 'Capital of Peru?',
      responseA: 'Lima',
      responseB: 'Cusco',
      winner: 'b',
      extra: { id: '2' },
    });
  });

  it('without a mapping, says what it expected', async () => {
    const [first] = await parse(csv);
    expect(first?.kind === 'rejected' && first.rejected.reason).toMatch(/^unknown record: expected the fields of /);
  });
});
