// The `rmlab` command as a user runs it: a child process through the package's bin launcher, on a
// small generated data file whose rule can be learned (the polite answer is preferred), with a
// tiny model for a few steps.
import 'fake-indexeddb/auto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagOf } from '../../src/cli/options.ts';
import { scoreTexts } from '../../src/core/eval/score.ts';
import { decodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { tokenizerFor } from '../../src/core/model/tokenizer.ts';
import { TRAIN_FIELD_KEYS, parseTrainConfig } from '../../src/core/train/config.ts';
import { openLabDB } from '../../src/store/db.ts';
import { getModelRecord } from '../../src/store/models.ts';
import { importModelFile } from '../../src/worker/model-io.ts';
import { startHubServer } from '../hub-server.ts';
import { tinyBertFolder } from '../tiny-bert.ts';

const BIN = join(import.meta.dirname, '../../bin/rmlab.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rmlab-cli-'));
const TINY = ['--d-model', '16', '--n-layers', '1', '--n-heads', '2', '--max-length', '32', '--batch-size', '8'];
const BAD_LINE = 7;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rmlab(
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { type?: string });

const TOPICS = ['the weather', 'a recipe', 'the train times', 'my homework', 'a good book', 'the news', 'a poem'];
const polite = (t: string) => `thank you for asking about ${t}, here is what i know`;
const rude = (t: string) => `no. figure out ${t} yourself`;

/**
 * 140 pairs in RM Lab's own format, the preferred answer polite and on alternating sides; one broken
 * line, and the first pair repeated on the last line.
 */
function writePairs(): string {
  const lines = Array.from({ length: 140 }, (_, i) => {
    const t = TOPICS[i % TOPICS.length]!;
    const aWins = i % 2 === 0;
    return JSON.stringify({
      prompt: `question ${i} about ${t}?`,
      response_a: aWins ? polite(t) : rude(t),
      response_b: aWins ? rude(t) : polite(t),
      winner: aWins ? 'response_a' : 'response_b',
      task_type: i % 3 === 0 ? 'qa' : 'chat',
    });
  });
  lines.splice(BAD_LINE - 1, 0, '{"prompt": "cut off');
  lines.push(lines[0]!);
  const path = join(dir, 'pairs.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

let pairsPath: string;
let trained: Run;
const runDir = () => join(dir, 'runs', 'x');

beforeAll(async () => {
  await tf.setBackend('cpu');
  pairsPath = writePairs();
  trained = await rmlab([
    'train',
    '--data',
    pairsPath,
    '--out',
    'runs/x',
    ...TINY,
    '--learning-rate',
    '0.001',
    '--max-steps',
    '12',
    '--eval-every',
    '6',
  ]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rmlab train', () => {
  it('streams JSON lines: the data, every step, each evaluation and a summary', () => {
    expect(trained.code, trained.stderr).toBe(0);
    const lines = jsonLines(trained.stdout);
    expect(lines[0]!.type).toBe('data');
    expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([6, 12]);
    const summary = lines.at(-1)!;
    expect(summary.type).toBe('summary');
    expect(summary.steps).toBe(12);
    expect(summary.stopped).toBe(false);
    // the rule is learnable: a few steps already separate polite from rude on held-out prompts
    expect(summary.heldOutAccuracy as number).toBeGreaterThanOrEqual(0.75);
    expect(readFileSync(join(runDir(), 'metrics.jsonl'), 'utf8')).toBe(trained.stdout);
  });

  it('measures the baselines on the same held-out pairs and ends with one summary line', () => {
    const lines = jsonLines(trained.stdout);
    const baselines = lines.find((l) => l.type === 'baselines')!;
    const summary = lines.at(-1)!;
    const n = summary.heldOutPairs as number;
    expect(n).toBe((lines[0]!.counts as { heldOutScored: number }).heldOutScored);
    const results = baselines.results as { id: string; n: number; accuracy: number }[];
    expect(results.map((b) => b.id)).toEqual(['chance', 'longer', 'shorter', 'bagOfWords']);
    expect(results.every((b) => b.n === n)).toBe(true);
    // The polite answer is always the longer one here: "longer wins" is right on every pair.
    expect(results[1]!.accuracy).toBe(1);
    expect(results[2]!.accuracy).toBe(0);
    expect(summary.baselines).toEqual({ ...baselines, type: undefined });
    const [lower, upper] = summary.heldOutInterval as [number, number];
    expect(lower).toBeLessThanOrEqual(summary.heldOutAccuracy as number);
    expect(upper).toBeGreaterThanOrEqual(summary.heldOutAccuracy as number);
    // The readable lines: ties left out, then the summary with interval, n and baselines.
    expect(trained.stderr).toMatch(/left out of training: 0 ties, 0 both-bad/);
    // The memory plan, printed before the data is read.
    expect(trained.stderr).toMatch(/memory plan on \w+: parameters [\d.]+ [KMG]B, gradients .*total [\d.]+ [KMG]B/);
    const last = trained.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      new RegExp(`^held-out, step \\d+: accuracy [\\d.]+% \\(95% interval [\\d.]+%–[\\d.]+%, n = ${n}\\)`),
    );
    expect(last).toContain('longer response wins 100.0%');
    expect(last).toContain('bag of words');
    expect(last).toMatch(/On \d+ held-out pairs the reward model, at/);
  });

  it('accounts for every record: 141 pairs (one a repeat, kept) and the broken line by its number', () => {
    const data = jsonLines(trained.stdout)[0]!;
    expect(data.records).toBe(142);
    expect(data.pairs).toBe(141);
    expect(data.duplicates).toEqual([{ line: 142, duplicateOf: 1 }]);
    expect(data.rejected).toEqual([{ line: BAD_LINE, reason: expect.stringMatching(/JSON/) }]);
    expect(trained.stderr).toContain(`line ${BAD_LINE}: `);
  });

  it('writes config.json with every option and a model file that decodes with its training record', () => {
    const config = JSON.parse(readFileSync(join(runDir(), 'config.json'), 'utf8'));
    expect(config).toEqual(parseTrainConfig({ ...config }));
    expect(Object.keys(config).sort()).toEqual([...TRAIN_FIELD_KEYS].sort());
    expect(config).toMatchObject({ dModel: 16, nLayers: 1, nHeads: 2, maxLength: 32, batchSize: 8, maxSteps: 12 });

    const file = decodeModelFile(new Uint8Array(readFileSync(join(runDir(), 'model.rmlab.safetensors'))));
    const summary = jsonLines(trained.stdout).at(-1)!;
    expect(file.meta).toMatchObject({ name: 'x', datasetName: 'pairs.jsonl', steps: 12 });
    expect(file.meta.heldOutAccuracy).toBe(summary.heldOutAccuracy);
    expect(file.meta.trainConfig).toEqual(config);
    expect(file.spec).toMatchObject({ encoder: 'builtin-transformer', transformer: { dModel: 16, maxLength: 32 } });
  });

  it("is a model file the app's import takes whole: its card carries the run's steps, accuracy and options", async () => {
    const bytes = new Uint8Array(readFileSync(join(runDir(), 'model.rmlab.safetensors')));
    const db = await openLabDB('rmlab-cli-import');
    try {
      const card = await importModelFile(db, bytes, 'model.rmlab.safetensors');
      const summary = jsonLines(trained.stdout).at(-1)!;
      expect(card).toMatchObject({
        origin: 'import',
        name: 'x',
        datasetName: 'pairs.jsonl',
        steps: summary.bestStep ?? 12,
        heldOutAccuracy: summary.heldOutAccuracy,
        heldOutPairs: summary.heldOutPairs,
        baselines: summary.baselines,
      });
      expect(card.trainConfig).toEqual(JSON.parse(readFileSync(join(runDir(), 'config.json'), 'utf8')));
      const stored = await getModelRecord(db, card.id);
      const file = decodeModelFile(bytes);
      expect(stored!.weights.map((w) => w.name).sort()).toEqual(file.weights.map((w) => w.name).sort());
    } finally {
      db.close();
    }
  });

  it('--embedding-init glove starts the word embeddings from the bundled word vectors', async () => {
    const embeddings = async (init: string) => {
      const out = `runs/init-${init}`;
      const run = await rmlab([
        'train',
        '--data',
        pairsPath,
        '--out',
        out,
        ...TINY,
        '--max-steps',
        '1',
        '--learning-rate',
        '0.000001',
        '--embedding-init',
        init,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const file = decodeModelFile(new Uint8Array(readFileSync(join(dir, out, 'model.rmlab.safetensors'))));
      return { run, data: file.weights.find((w) => w.name === 'embeddings.word')!.data };
    };
    const { data: random, run: randomRun } = await embeddings('random');
    const { data: glove, run: gloveRun } = await embeddings('glove');
    // The coverage, said in the readable lines and kept in the data line, only where vectors are used.
    const counts = jsonLines(gloveRun.stdout).find((l) => l.type === 'data')!.counts as {
      vectorCoverage: { tokens: number; covered: number };
    };
    const { tokens, covered } = counts.vectorCoverage;
    expect(covered).toBeGreaterThan(0);
    expect(covered).toBeLessThanOrEqual(tokens);
    expect(gloveRun.stderr).toContain(
      `word vectors: ${((100 * covered) / tokens).toFixed(1)}% of the training split's ${tokens} tokens (${covered}) start from a bundled GloVe vector`,
    );
    expect(randomRun.stderr).not.toContain('word vectors:');
    // one step at lr 1e-6 moves a weight by about 1e-6: a larger difference is the initialisation's
    const moved = random.reduce((n, r, i) => n + (Math.abs(r - glove[i]!) > 1e-3 ? 1 : 0), 0);
    expect(moved / random.length).toBeGreaterThan(0.1);
  });

  it('--validation-fraction chooses the best step on a slice of the training split and says so', async () => {
    const run = await rmlab([
      'train',
      '--data',
      pairsPath,
      '--out',
      'runs/validation',
      ...TINY,
      '--max-steps',
      '4',
      '--eval-every',
      '2',
      '--validation-fraction',
      '0.3',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    const counts = lines.find((l) => l.type === 'data')!.counts as { train: number; validation: number };
    expect(counts.validation).toBeGreaterThan(0);
    expect(run.stderr).toContain(`, ${counts.validation} in the validation slice (they choose the best step)`);
    const evals = lines.filter((l) => l.type === 'eval') as unknown as { step: number; validation: { loss: number } }[];
    expect(evals.length).toBe(2);
    const lowest = evals.reduce((a, b) => (b.validation.loss < a.validation.loss ? b : a));
    expect(lines.at(-1)).toMatchObject({
      type: 'summary',
      chosenOn: 'validation',
      bestStep: lowest.step,
      validationLoss: lowest.validation.loss,
    });
    expect(run.stderr).toMatch(/validation loss \d\.\d{4}/);
  });

  it('stops after the current step on Ctrl-C and still writes the model', async () => {
    let sent = false;
    const run = await rmlab(
      ['train', '--data', pairsPath, '--out', 'runs/stopped', ...TINY, '--epochs', '50', '--eval-every', '1000'],
      (stdout, child) => {
        if (!sent && stdout.includes('"type":"step"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = jsonLines(run.stdout).at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', stopped: true });
    expect(summary.steps as number).toBeLessThan(50 * 17);
    const file = decodeModelFile(new Uint8Array(readFileSync(join(dir, 'runs/stopped/model.rmlab.safetensors'))));
    expect(file.meta.steps).toBe(summary.steps);
  });
});

describe('rmlab score and eval', () => {
  it('scores rows as the model file scores through RewardModel.fromWeights', async () => {
    const rows = [
      { prompt: 'question about the news?', response: polite('the news'), id: 'one' },
      { prompt: 'question about a poem?', responses: [rude('a poem'), polite('a poem'), 'maybe'] },
    ];
    const rowsPath = join(dir, 'rows.jsonl');
    writeFileSync(rowsPath, [...rows.map((r) => JSON.stringify(r)), '{"prompt": "no response"}'].join('\n') + '\n');
    const modelPath = join(runDir(), 'model.rmlab.safetensors');
    const run = await rmlab(['score', '--model', modelPath, '--data', rowsPath]);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonLines(run.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ id: 'one', response: polite('the news') });
    expect(run.stderr).toContain('line 3: ');

    const file = decodeModelFile(new Uint8Array(readFileSync(modelPath)));
    const model = RewardModel.fromWeights(file.spec, file.weights);
    const mine = await scoreTexts(
      model,
      tokenizerFor(file.spec, file.tokenizer),
      [rows[0]!.response!, ...rows[1]!.responses!].map((response, i) => ({
        prompt: i === 0 ? rows[0]!.prompt : rows[1]!.prompt,
        response,
      })),
      { maxLength: 32 },
    );
    model.dispose();
    // the CLI computes on WASM, this test on tfjs's CPU backend: the same model to float rounding
    expect(out[0]!.reward as number).toBeCloseTo(mine[0]!, 4);
    (out[1]!.rewards as number[]).forEach((r, i) => expect(r).toBeCloseTo(mine[i + 1]!, 4));
    const [rudeReward, politeReward] = out[1]!.rewards as number[];
    expect(politeReward).toBeGreaterThan(rudeReward!);

    // the same rows as a JSON array: read as the import reads any container, scored the same
    const arrayPath = join(dir, 'rows.json');
    writeFileSync(arrayPath, JSON.stringify(rows, null, 2));
    const fromArray = await rmlab(['score', '--model', modelPath, '--data', arrayPath]);
    expect(fromArray.code, fromArray.stderr).toBe(0);
    expect(jsonLines(fromArray.stdout)).toEqual(out);
  });

  it('evaluates the held-out split by default, to the figures of the stored evaluation in training', async () => {
    const run = await rmlab(['eval', '--model', join(runDir(), 'model.rmlab.safetensors'), '--data', pairsPath]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    const trainLines = jsonLines(trained.stdout);
    const stored = trainLines.at(-1)!.bestStep ?? 12;
    const lastEval = trainLines.filter((l) => l.type === 'eval').find((l) => l.step === stored)!;
    expect(result.split).toBe('held-out');
    const stderr = run.stderr.trim().split('\n');
    expect(stderr[0]).toMatch(
      /^scoring the held-out split of pairs\.jsonl \(\d+ of 141 pairs\), as the model was trained/,
    );
    expect(run.stderr).not.toContain('warning');
    expect(stderr.at(-1)).toMatch(
      /^held-out pairs: accuracy [\d.]+% \(95% interval .*, n = \d+\); baselines: chance 50\.0%/,
    );
    expect(result.baselines.results.map((b: { n: number }) => b.n)).toEqual([1, 1, 1, 1].map(() => result.scored));
    expect(result.scored).toBe(lastEval.heldOutPairs);
    expect(result.accuracy).toBe(lastEval.accuracy);
    expect(result.loss).toBeCloseTo(lastEval.loss as number, 5);
    expect(Object.keys(result.byTaskType).sort()).toEqual(['chat', 'qa']);
    const slices = Object.values(result.byTaskType) as { pairs: number }[];
    expect(slices.reduce((n, s) => n + s.pairs, 0)).toBe(result.scored);

    const allRun = await rmlab([
      'eval',
      '--model',
      'runs/x/model.rmlab.safetensors',
      '--data',
      pairsPath,
      '--split',
      'all',
    ]);
    const all = JSON.parse(allRun.stdout);
    expect(all).toMatchObject({ split: 'all', scored: 141, rejected: 1 });
    expect(allRun.stderr).toMatch(/^scoring all 141 pairs of pairs\.jsonl/);
    expect(allRun.stderr).toMatch(/warning: \d+ of these pairs are on the training side of the model's split/);
  });

  it('scores both responses of a pair file', async () => {
    const run = await rmlab(['score', '--model', join(runDir(), 'model.rmlab.safetensors'), '--data', pairsPath]);
    expect(run.code, run.stderr).toBe(0);
    const out = jsonLines(run.stdout);
    expect(out).toHaveLength(141);
    expect(out[0]).toMatchObject({ line: 1, winner: 'a', response_a: polite('the weather') });
    for (const row of out) {
      const { reward_a: a, reward_b: b, p_a_better: p } = row as Record<string, number>;
      expect(p).toBeCloseTo(1 / (1 + Math.exp(b! - a!)), 12);
    }
    expect(run.stderr).toMatch(/line 7: /);
    expect(run.stderr).toMatch(
      /scored both responses of 141 pairs; it prefers the labelled winner in [\d.]+% \(95% interval .*, n = 141\)/,
    );
  });
});

describe('rmlab with a field mapping (--map)', () => {
  /** The same pairs in another layout: instruction/input, two outputs and a label 1 or 2. */
  function writeMapped(): string {
    const lines = Array.from({ length: 60 }, (_, i) => {
      const t = TOPICS[i % TOPICS.length]!;
      const first = i % 2 === 0;
      return JSON.stringify({
        input: `question ${i} about ${t}?`,
        output_1: first ? polite(t) : rude(t),
        output_2: first ? rude(t) : polite(t),
        label: first ? 1 : 2,
      });
    });
    const path = join(dir, 'mapped.jsonl');
    writeFileSync(path, lines.join('\n') + '\n');
    return path;
  }
  const MAP = 'prompt=input,a=output_1,b=output_2,label=label:1=a,2=b';

  it('trains on any layout through the mapping, and scores it as pairs', async () => {
    const path = writeMapped();
    const run = await rmlab([
      'train',
      '--data',
      path,
      '--out',
      'runs/mapped',
      ...TINY,
      '--max-steps',
      '2',
      '--map',
      MAP,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const data = jsonLines(run.stdout)[0]!;
    expect(data).toMatchObject({ pairs: 60, rejected: [], format: 'custom' });
    const scored = await rmlab([
      'score',
      '--model',
      'runs/mapped/model.rmlab.safetensors',
      '--data',
      path,
      '--map',
      MAP,
    ]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(jsonLines(scored.stdout)[1]).toMatchObject({ winner: 'b', response_b: polite(TOPICS[1]!) });
    // The same mapping from a file, as the app keeps it.
    const mapFile = join(dir, 'mapping.json');
    writeFileSync(
      mapFile,
      JSON.stringify({
        prompt: 'input',
        responseA: 'output_1',
        responseB: 'output_2',
        label: { field: 'label', a: ['1'], b: ['2'] },
      }),
    );
    const viaFile = await rmlab([
      'eval',
      '--model',
      'runs/mapped/model.rmlab.safetensors',
      '--data',
      path,
      '--map',
      mapFile,
    ]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(JSON.parse(viaFile.stdout).split).toBe('held-out');
  });

  it('refuses a mapping that cannot be built, and a mapping that reads no pair, before training', async () => {
    const path = writeMapped();
    const bad = await rmlab([
      'train',
      '--data',
      path,
      '--out',
      'runs/bad',
      '--map',
      'prompt=input,a=output_1,label=label:1=a,2=b',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--map must name both responses/);
    const meaning = await rmlab([
      'train',
      '--data',
      path,
      '--out',
      'runs/bad',
      '--map',
      'a=output_1,b=output_2,label=label:1=first',
    ]);
    expect(meaning.code).toBe(2);
    expect(meaning.stderr).toMatch(/label value "1=first" must mean a, b, tie or both_bad/);
    const wrongField = await rmlab([
      'train',
      '--data',
      path,
      '--out',
      'runs/bad',
      ...TINY,
      '--map',
      'prompt=question,a=output_1,b=output_2,label=label:1=a,2=b',
    ]);
    expect(wrongField.code).toBe(1);
    expect(wrongField.stderr).toMatch(/none of the 60 records of .*mapped\.jsonl is a preference pair/);
    expect(wrongField.stderr).toMatch(/line 1: .*question/);
    expect(existsSync(join(dir, 'runs/bad'))).toBe(false);
  });

  it('stops before training when no pair is left to train on', async () => {
    const path = join(dir, 'ties.jsonl');
    writeFileSync(
      path,
      Array.from({ length: 20 }, (_, i) =>
        JSON.stringify({ prompt: `q ${i}`, response_a: 'x', response_b: 'y', winner: 'tie' }),
      ).join('\n') + '\n',
    );
    const run = await rmlab(['train', '--data', path, '--out', 'runs/ties', ...TINY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /none of its 20 pairs can be trained on: .* are ties \(left out: --ties davidson trains on them\)/,
    );
    expect(existsSync(join(dir, 'runs/ties/model.rmlab.safetensors'))).toBe(false);
  });
});

describe('rmlab train on a pretrained encoder', () => {
  const bertArgs = ['--max-length', '32', '--batch-size', '8', '--max-steps', '3', '--eval-every', '3'];

  /** The model file of a finished run, checked to score through the file's own tokenizer as the CLI does. */
  async function checkBertRun(run: Run, out: string, source: string) {
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ type: 'summary', steps: 3 });
    const modelPath = join(dir, out, 'model.rmlab.safetensors');
    const file = decodeModelFile(new Uint8Array(readFileSync(modelPath)));
    expect(file.spec).toMatchObject({ encoder: 'bert', tokenizer: 'embedded', source, bert: { hiddenSize: 16 } });
    expect(file.tokenizer).toBeDefined();
    const rowsPath = join(dir, `${out.replace('/', '-')}-rows.jsonl`);
    writeFileSync(
      rowsPath,
      JSON.stringify({ prompt: 'question about the news?', response: polite('the news') }) + '\n',
    );
    const scored = await rmlab(['score', '--model', modelPath, '--data', rowsPath]);
    expect(scored.code, scored.stderr).toBe(0);
    const model = RewardModel.fromWeights(file.spec, file.weights);
    const [mine] = await scoreTexts(
      model,
      tokenizerFor(file.spec, file.tokenizer),
      [{ prompt: 'question about the news?', response: polite('the news') }],
      { maxLength: 32 },
    );
    model.dispose();
    expect(jsonLines(scored.stdout)[0]!.reward as number).toBeCloseTo(mine!, 4);
  }

  /** A tiny BERT folder (config.json, tokenizer.json, model.safetensors) written to disk. */
  function tinyBertOnDisk(): string {
    const folder = join(dir, 'tiny-bert');
    mkdirSync(folder, { recursive: true });
    for (const [name, bytes] of tinyBertFolder()) writeFileSync(join(folder, name), bytes);
    return folder;
  }

  it('trains from a model folder on disk, and the model file carries its tokenizer', async () => {
    const folder = tinyBertOnDisk();
    const run = await rmlab([
      'train',
      '--data',
      pairsPath,
      '--out',
      'runs/bert-folder',
      '--model',
      folder,
      ...bertArgs,
    ]);
    await checkBertRun(run, 'runs/bert-folder', 'folder:tiny-bert');
    expect(JSON.parse(readFileSync(join(dir, 'runs/bert-folder/config.json'), 'utf8')).encoder).toBe(
      'folder:tiny-bert',
    );
  });

  it('downloads a Hub model from $HF_ENDPOINT (a stand-in on 127.0.0.1), and refuses a missing one by name', async () => {
    const hub = await startHubServer({ 'tiny/bert': { files: tinyBertFolder() } });
    try {
      const env = { HF_ENDPOINT: hub.url };
      const run = await rmlab(
        ['train', '--data', pairsPath, '--out', 'runs/bert-hub', '--model', 'tiny/bert', ...bertArgs],
        undefined,
        env,
      );
      await checkBertRun(run, 'runs/bert-hub', 'tiny/bert');
      expect(hub.requests.some((p) => p.endsWith('/tiny/bert/resolve/main/model.safetensors'))).toBe(true);
      // The memory plan came from config.json and the weights' size (a HEAD), before the weights' download.
      expect(run.stderr).toMatch(/tiny\/bert: 0\.\d\d M weights, a [\d.]+ KB download/);
      expect(run.stderr).toMatch(/memory plan on wasm: parameters/);
      const head = hub.requests.indexOf('HEAD /tiny/bert/resolve/main/model.safetensors');
      expect(head).toBeGreaterThan(hub.requests.indexOf('/tiny/bert/resolve/main/config.json'));
      expect(head).toBeLessThan(hub.requests.indexOf('/tiny/bert/resolve/main/model.safetensors'));

      const missing = await rmlab(
        ['train', '--data', pairsPath, '--out', 'runs/missing', '--model', 'tiny/nothing', ...bertArgs],
        undefined,
        env,
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('tiny/nothing');
      expect(existsSync(join(dir, 'runs/missing'))).toBe(false);
    } finally {
      await hub.close();
    }
  });

  it('stops a Hub model whose plan will not fit before its weights download, unless --force-download', async () => {
    // The tiny BERT's files under a config.json claiming a BERT of billions of weights.
    const files = tinyBertFolder();
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as Record<string, unknown>;
    const huge = {
      ...config,
      hidden_size: 8192,
      intermediate_size: 32768,
      num_hidden_layers: 48,
      num_attention_heads: 64,
    };
    files.set('config.json', new TextEncoder().encode(JSON.stringify(huge)));
    const hub = await startHubServer({ 'big/bert': { files } });
    const weights = '/big/bert/resolve/main/model.safetensors';
    try {
      const env = { HF_ENDPOINT: hub.url };
      const args = ['train', '--data', pairsPath, '--out', 'runs/big', '--model', 'big/bert', ...bertArgs];
      const refused = await rmlab(args, undefined, env);
      expect(refused.code).toBe(1);
      // The plan and its suggestions, then why it stopped and how to go on anyway.
      expect(refused.stderr).toMatch(/memory plan on wasm: parameters/);
      expect(refused.stderr).toMatch(/This run will not fit: /);
      expect(refused.stderr).toMatch(/\n {2}- freeze/);
      expect(refused.stderr).toMatch(
        /rmlab: This run will not fit: .*Nothing was downloaded but config\.json: .*--force-download/,
      );
      expect(hub.requests).toContain('/big/bert/resolve/main/config.json');
      expect(hub.requests).not.toContain(weights);
      expect(existsSync(join(dir, 'runs/big'))).toBe(false);

      const forced = await rmlab([...args, '--force-download'], undefined, env);
      expect(hub.requests).toContain(weights);
      // The weights are the tiny model's, not what the config claims: the load fails on them, not on the plan.
      expect(forced.stderr).not.toMatch(/rmlab: This run will not fit/);
    } finally {
      await hub.close();
    }
  });

  it('refuses a --max-length longer than the encoder reads', async () => {
    const run = await rmlab([
      'train',
      '--data',
      pairsPath,
      '--out',
      'runs/too-long',
      '--model',
      tinyBertOnDisk(),
      '--max-length',
      '128',
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/--max-length is 128.*at most 64/);
  });
});

describe('rmlab options', () => {
  it('--help lists every training option, generated from TRAIN_FIELDS', async () => {
    const run = await rmlab(['train', '--help']);
    expect(run.code).toBe(0);
    for (const key of TRAIN_FIELD_KEYS) expect(run.stdout).toContain(`--${flagOf(key)} `);
  });

  it.each([
    [['--batch-size', '0'], '--batch-size'],
    [['--d-model', 'wide'], '--d-model'],
    [['--pooling', 'max'], '--pooling'],
    [['--frobnicate', '1'], '--frobnicate'],
    [['--model', 'not a model!'], '--model'],
  ])('%j is an error naming the option', async (args, named) => {
    const run = await rmlab(['train', '--data', pairsPath, '--out', 'runs/bad', ...args]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(named);
    expect(existsSync(join(dir, 'runs/bad'))).toBe(false);
  });

  it.each([
    ['--epoch', '--epochs'],
    ['--batch-sise', '--batch-size'],
    ['--learningrate', '--learningRate'],
  ])('an unknown option %s suggests the closest one (%s)', async (typed, meant) => {
    const run = await rmlab(['train', '--data', pairsPath, '--out', 'runs/bad', typed, '2']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`unknown option ${typed}: did you mean ${meant}?`);
  });

  it('an unknown option far from every option suggests none', async () => {
    const run = await rmlab(['train', '--data', pairsPath, '--out', 'runs/bad', '--frobnicate', '1']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('unknown option --frobnicate');
    expect(run.stderr).not.toContain('did you mean');
  });

  it('a missing --data is an error naming it', async () => {
    const run = await rmlab(['train', '--out', 'runs/bad']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--data');
  });

  it('a file with no usable pair fails with each line and its reason', async () => {
    const path = join(dir, 'nothing.jsonl');
    writeFileSync(path, '{"question": "hi"}\nnot json\n');
    const run = await rmlab(['train', '--data', path, '--out', 'runs/nothing']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/none of the 2 records/);
    expect(run.stderr).toMatch(/line 1: unknown record/);
    expect(run.stderr).toMatch(/line 2: not valid JSON/);
  });
});
