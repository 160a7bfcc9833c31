// Decoder checkpoints (GPT-2; Llama as SmolLM2 is; Qwen2) from the Hub stand-in on 127.0.0.1, as
// causal LMs (GPT2LMHeadModel's 'transformer.' names with lm_head; Llama/Qwen2 'model.' names with tied
// embeddings) and as one-label *ForSequenceClassification reward models (score.weight): loaded through
// the registry, read at the last token whatever Pooling says, tokenized as prompt + response (+ eos),
// the reward model's own head opening as the head, its rewards equal to the PyTorch reference scoring
// the same folder; and a run that trains GPT-2 (no pad token: eos pads) and exports it as a folder
// PyTorch scores the same (scripts/reference/{gpt2,llama}_reference.py --score).
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamOfBytes } from '../../src/core/data/jsonl.ts';
import { huggingFaceFiles } from '../../src/core/export/hf-zip.ts';
import { hubFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder, pretrainedEncoder } from '../../src/core/model/pretrained.ts';
import { checkModelFile } from '../../src/core/model/model-check.ts';
import { decodeModelFile, encodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, type BertModelSpec } from '../../src/core/model/reward-model.ts';
import { readSafetensors } from '../../src/core/model/safetensors.ts';
import { tokenizerFor, type PairTokenizer } from '../../src/core/model/tokenizer.ts';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { openLabDB } from '../../src/store/db.ts';
import { getModelRecord } from '../../src/store/models.ts';
import { importPairs } from '../../src/worker/import.ts';
import { runTraining, setHubEndpoint } from '../../src/worker/train-run.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyDecoderFolder, type TinyDecoderType } from '../tiny-decoder.ts';

const TYPES: TinyDecoderType[] = ['gpt2', 'llama', 'qwen2'];
const SCRIPT: Record<TinyDecoderType, string> = {
  gpt2: 'scripts/reference/gpt2_reference.py',
  llama: 'scripts/reference/llama_reference.py',
  qwen2: 'scripts/reference/llama_reference.py',
};
const PAIRS: [string, string][] = [
  ['what is the capital?', ' paris is the capital.'],
  ['is it paris?', ' yes'],
  ['the cat', ' is a cat or a dog, the answer is yes'],
];

let hub: HubServer;
const folders = new Map<string, Map<string, Uint8Array>>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const type of TYPES) {
    for (const kind of ['causal', 'reward'] as const)
      folders.set(`tiny/${type}-${kind}`, tinyDecoderFolder({ modelType: type, kind }));
  }
  folders.set('tiny/gpt2-nopad', tinyDecoderFolder({ modelType: 'gpt2', kind: 'causal', noPad: true }));
  hub = await startHubServer(Object.fromEntries([...folders].map(([id, files]) => [id, { files }])));
});

afterAll(async () => {
  await hub.close();
});

async function open(id: string) {
  return pretrainedEncoder(await loadModelFolder(hubFolder(id, 'main', hub.url), {}), 'mean', id);
}

/** The pairs as the trainer batches them, padded on `side`: ids and mask. */
function batch(tok: PairTokenizer, side: 'right' | 'left'): { ids: number[][]; mask: number[][] } {
  const seqs = PAIRS.map(([p, r]) => [...tok.encodePair(p, r, 48).ids]);
  const T = Math.max(...seqs.map((s) => s.length));
  const pad = (s: number[]) => Array<number>(T - s.length).fill(tok.special.pad);
  return {
    ids: seqs.map((s) => (side === 'right' ? [...s, ...pad(s)] : [...pad(s), ...s])),
    mask: seqs.map((s) =>
      side === 'right' ? [...s.map(() => 1), ...pad(s).map(() => 0)] : [...pad(s).map(() => 0), ...s.map(() => 1)],
    ),
  };
}

async function rewardsOf(model: RewardModel, b: { ids: number[][]; mask: number[][] }): Promise<number[]> {
  const r = tf.tidy(() => model.rewards(tf.tensor2d(b.ids, undefined, 'int32'), tf.tensor2d(b.mask)));
  const out = [...(await r.data())];
  r.dispose();
  return out;
}

/**
 * PyTorch's rewards for a folder's files on a batch (the reference script's --score), run without
 * blocking the event loop: the Hub stand-in answers from this same process.
 */
async function torchRewards(
  type: TinyDecoderType,
  files: Map<string, Uint8Array> | Record<string, Uint8Array>,
  b: object,
): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'decoder-'));
  for (const [name, bytes] of files instanceof Map ? files : Object.entries(files))
    writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, 'inputs.json'), JSON.stringify(b));
  const run = promisify(execFile);
  const { stdout } = await run('/usr/bin/python3', [SCRIPT[type], '--score', dir, join(dir, 'inputs.json')]);
  return JSON.parse(stdout) as number[];
}

describe.each(TYPES)('a %s checkpoint from the Hub', (type) => {
  it('as a causal LM: the base model under its prefix, lm_head ignored, last-token pooling, a fresh head', async () => {
    const enc = await open(`tiny/${type}-causal`);
    expect(enc.spec.bert.modelType).toBe(type);
    expect(enc.spec.pooling).toBe('last'); // the form said 'mean': a decoder reads its last token
    expect(enc.head).toBeUndefined();
    expect(enc.summary.readyHead).toBe(false);
    expect(enc.weights.some((w) => w.name.includes('lm_head'))).toBe(false);
  });

  it('as a reward model: its score.weight opens as the head and it scores as PyTorch does, padded right or left', async () => {
    const enc = await open(`tiny/${type}-reward`);
    expect(enc.summary.readyHead).toBe(true);
    expect(enc.head!.map((w) => [w.name, w.shape])).toEqual([['head.weight', [16, 1]]]); // no bias: HF's score has none
    const tok = tokenizerFor(enc.spec, enc.tokenizer);
    const model = RewardModel.fromPretrained(enc.spec, enc.weights, 1, enc.head);
    for (const side of ['right', 'left'] as const) {
      const b = batch(tok, side);
      const ours = await rewardsOf(model, b);
      const theirs = await torchRewards(type, folders.get(`tiny/${type}-reward`)!, b);
      theirs.forEach((t, i) => expect(ours[i], `${side} padding, pair ${i}`).toBeCloseTo(t, 4));
      expect(new Set(ours.map((x) => x.toFixed(3))).size).toBe(3);
    }
    // RM Lab's own model file: checked whole (model-check.ts reads the decoder's config fields),
    // it opens again as the same model, scoring the same.
    const name = `${type}.rmlab.safetensors`;
    const file = decodeModelFile(
      encodeModelFile({
        spec: model.spec,
        tokenizer: enc.tokenizer,
        weights: await model.getWeights(),
        meta: { name: type, createdAt: '2026-12-06T00:00:00Z' },
      }),
      name,
    );
    checkModelFile(file, name);
    const again = RewardModel.fromWeights(file.spec, file.weights);
    const b = batch(tok, 'right');
    expect(await rewardsOf(again, b)).toEqual(await rewardsOf(model, b));
    const spec = file.spec as BertModelSpec;
    const broken = { ...file, spec: { ...spec, bert: { ...spec.bert, eosTokenId: -1 } } };
    expect(() => checkModelFile(broken, name)).toThrow(/bert\.eosTokenId must be a whole number, got -1/);
    again.dispose();
    model.dispose();
  });

  it('a score with two labels is no reward: a fresh head, and the summary says why', async () => {
    const folder = await loadModelFolder(hubFolder(`tiny/${type}-reward`, 'main', hub.url), {});
    const score = folder.tensors.get('score.weight')!;
    const D = score.shape[1]!;
    const twoLabels = { ...score, shape: [2, D], data: new Float32Array(2 * D).fill(0.5) };
    const enc = pretrainedEncoder(
      { ...folder, tensors: new Map([...folder.tensors, ['score.weight', twoLabels]]) },
      'cls',
      type,
    );
    expect(enc.head).toBeUndefined();
    expect(enc.summary.headNote).toMatch(/its classifier has 2 labels, not one reward: a fresh head/);
  });

  it('tokenizes a pair as prompt + response, then eos (eos is not its pad token)', async () => {
    const enc = await open(`tiny/${type}-reward`);
    const tok = tokenizerFor(enc.spec, enc.tokenizer);
    expect(tok.special.eos).not.toBe(tok.special.pad);
    const [p, r] = PAIRS[0]!;
    expect([...tok.encodePair(p, r, 48).ids]).toEqual([...tok.encodeText(p), ...tok.encodeText(r), tok.special.eos]);
  });
});

describe('GPT-2 without a pad token, trained and exported', () => {
  it('pads with eos and appends none, so HF (which finds the last token as the last id that is not pad) reads the same token', async () => {
    const enc = await open('tiny/gpt2-nopad');
    const tok = tokenizerFor(enc.spec, enc.tokenizer);
    expect(tok.special.pad).toBe(tok.special.eos);
    expect(enc.spec.bert.padTokenId).toBe(tok.special.eos);
    const [p, r] = PAIRS[1]!;
    expect([...tok.encodePair(p, r, 48).ids]).toEqual([...tok.encodeText(p), ...tok.encodeText(r)]);
  });

  it('trains from the Hub checkpoint, and its export (score.weight, pad_token_id set) scores the same in PyTorch', async () => {
    setHubEndpoint(hub.url);
    try {
      const db = await openLabDB('rm-lab-decoder-run');
      const lines = Array.from({ length: 24 }, (_, i) =>
        JSON.stringify({
          prompt: `is it paris? ${i}`,
          response_a: ' yes, paris.',
          response_b: ' no',
          winner: 'response_a',
        }),
      );
      const { dataset } = await importPairs(
        db,
        streamOfBytes(new TextEncoder().encode(lines.join('\n')), 256),
        { name: 'paris', source: { kind: 'file', name: 'paris.jsonl' } },
        () => {},
      );
      const config = parseTrainConfig({
        encoder: 'tiny/gpt2-nopad',
        maxLength: 32,
        batchSize: 4,
        maxSteps: 3,
        evalEvery: 3,
        learningRate: 1e-3,
        lengthReward: 'off',
        backend: 'cpu',
        heldOutFraction: 0.25,
      }) as TrainConfig;
      const run = await runTraining(
        db,
        { id: dataset.id, name: dataset.name },
        config,
        () => {},
        () => false,
      );
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('done');
      const record = (await getModelRecord(db, run.id))!;
      expect(record.spec).toMatchObject({ encoder: 'bert', pooling: 'last', bert: { modelType: 'gpt2' } });
      expect(record.weights.some((w) => w.name === 'head.bias')).toBe(false);

      const files = huggingFaceFiles({
        spec: record.spec,
        weights: record.weights,
        tokenizer: record.tokenizer,
        name: 'gpt2 rm',
      });
      const exported = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
      expect(exported).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], model_type: 'gpt2' });
      expect(exported.pad_token_id).toBe(exported.eos_token_id);
      const names = [...readSafetensors(files['model.safetensors']!).tensors.keys()];
      expect(names.filter((n) => n.startsWith('score.'))).toEqual(['score.weight']);
      expect(names.every((n) => n === 'score.weight' || n.startsWith('transformer.'))).toBe(true);
      const tokenizerConfig = JSON.parse(new TextDecoder().decode(files['tokenizer_config.json'])) as Record<
        string,
        unknown
      >;
      expect(tokenizerConfig.pad_token).toBe('<|endoftext|>');

      const model = RewardModel.fromWeights(record.spec, record.weights);
      const b = batch(tokenizerFor(record.spec, record.tokenizer), 'right');
      const ours = await rewardsOf(model, b);
      model.dispose();
      const theirs = await torchRewards('gpt2', files, b);
      theirs.forEach((t, i) => expect(ours[i]).toBeCloseTo(t, 4));
      db.close();
    } finally {
      setHubEndpoint(undefined);
    }
  });
});
