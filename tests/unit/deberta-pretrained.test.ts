// DeBERTa-v3 reward models from the Hub stand-in on 127.0.0.1, as OpenAssistant's
// reward-model-deberta-v3-* are shaped: a one-label DebertaV2ForSequenceClassification with
// tokenizer.json (SentencePiece Unigram, tests/tiny-deberta.ts). It opens as a ready model with its
// own ContextPooler and classifier; texts are read as "[CLS] prompt [SEP] response [SEP]", as the
// tokenizer's own post-processor pairs them; its rewards, in-process and from `rmlab score --model
// <hub id>`, equal PyTorch's on the same folder (scripts/reference/score_folder.py). A
// pytorch_model.bin checkpoint reads as its safetensors does; a repository with spm.model alone is
// refused, naming tokenizer.json.
import * as tf from '@tensorflow/tfjs';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bertTokenTypes } from '../../src/core/model/encoders/bert.ts';
import { hubFolder } from '../../src/core/model/hub.ts';
import { loadModelFolder, pretrainedEncoder } from '../../src/core/model/pretrained.ts';
import { RewardModel } from '../../src/core/model/reward-model.ts';
import { tokenizerFor, type PairTokenizer } from '../../src/core/model/tokenizer.ts';
import { bertComparisons, runBertFixture, type BertFixture } from '../bert-reference-fixture.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { expectClose } from '../reference-expect.ts';
import { tinyDebertaFolder } from '../tiny-deberta.ts';
import v3Cls from '../fixtures/reference-deberta-v3-cls-gelu.json';
import v2Cls from '../fixtures/reference-deberta-v2-cls-gelu.json';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/rmlab.mjs');
const ROWS = [
  { prompt: 'what is the answer', responses: ['good answer', 'bad', 'the answer is a good one'] },
  { prompt: 'is it good', responses: ['a bad answer', 'good'] },
];
const MAX_TOKENS = 24; // the fixture's position table, which the CLI's max length is too: every pair here fits whole

let hub: HubServer;

/** The folder's files on disk, for PyTorch. */
function onDisk(files: Map<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'deberta-'));
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** A pytorch_model.bin of the folder's weights, written by torch.save (float32) from its safetensors. */
async function withPytorchBin(files: Map<string, Uint8Array>): Promise<Map<string, Uint8Array>> {
  const dir = onDisk(files);
  const script =
    'import sys, torch; sys.path.insert(0, "scripts/reference"); import bert_reference as b; ' +
    'w = b.read_safetensors(sys.argv[1] + "/model.safetensors"); ' +
    'torch.save({k: v.to(torch.float32) for k, v in w.items()}, sys.argv[1] + "/pytorch_model.bin")';
  await run('/usr/bin/python3', ['-c', script, dir]);
  const { readFileSync } = await import('node:fs');
  const out = new Map(files);
  out.delete('model.safetensors');
  out.set('pytorch_model.bin', new Uint8Array(readFileSync(join(dir, 'pytorch_model.bin'))));
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  hub = await startHubServer({
    'tiny/deberta-v3-reward': { files: tinyDebertaFolder(v3Cls as BertFixture, { withHead: true }) },
    'tiny/deberta-v3': { files: tinyDebertaFolder(v3Cls as BertFixture) },
    'tiny/deberta-v2-reward-bin': {
      files: await withPytorchBin(tinyDebertaFolder(v2Cls as BertFixture, { withHead: true })),
    },
    'tiny/deberta-spm-only': { files: tinyDebertaFolder(v3Cls as BertFixture, { spmOnly: true }) },
  });
}, 120_000); // torch.save in a Python process: seconds on a loaded machine

afterAll(async () => {
  await hub.close();
});

async function open(id: string) {
  return pretrainedEncoder(await loadModelFolder(hubFolder(id, 'main', hub.url), {}), 'cls', id);
}

/** Every (prompt, response) of ROWS, as the trainer pads them on the right. */
function batch(tok: PairTokenizer): { ids: number[][]; mask: number[][] } {
  const seqs = ROWS.flatMap((row) => row.responses.map((r) => [...tok.encodePair(row.prompt, r, MAX_TOKENS).ids]));
  const T = Math.max(...seqs.map((s) => s.length));
  return {
    ids: seqs.map((s) => [...s, ...Array<number>(T - s.length).fill(tok.special.pad)]),
    mask: seqs.map((s) => [...s.map(() => 1), ...Array<number>(T - s.length).fill(0)]),
  };
}

async function torchRewards(files: Map<string, Uint8Array>, b: object): Promise<number[]> {
  const dir = onDisk(files);
  writeFileSync(join(dir, 'inputs.json'), JSON.stringify(b));
  const { stdout } = await run('/usr/bin/python3', [
    'scripts/reference/score_folder.py',
    dir,
    join(dir, 'inputs.json'),
  ]);
  return JSON.parse(stdout) as number[];
}

describe('a DeBERTa-v3 reward model from the Hub', () => {
  it('opens as a ready model with its ContextPooler and classifier, and scores texts as PyTorch does', async () => {
    const enc = await open('tiny/deberta-v3-reward');
    expect(enc.spec.bert.modelType).toBe('deberta-v2');
    expect(enc.summary.readyHead).toBe(true);
    expect(enc.summary.initialised).toEqual([]);
    const tok = tokenizerFor(enc.spec, enc.tokenizer);
    const b = batch(tok);
    const model = RewardModel.fromPretrained(enc.spec, enc.weights, 0, enc.head);
    const r = tf.tidy(() => model.rewards(tf.tensor2d(b.ids, undefined, 'int32'), tf.tensor2d(b.mask)));
    const ours = [...(await r.data())];
    tf.dispose(r);
    model.dispose();
    const theirs = await torchRewards(hub.repos.get('tiny/deberta-v3-reward')!.files, b);
    theirs.forEach((t, i) => expect(ours[i], `reward ${i}`).toBeCloseTo(t, 5));
    expect(new Set(ours.map((x) => x.toFixed(4))).size).toBe(ours.length); // the texts are told apart
  });

  it("reads a pair as the tokenizer's own post-processor does: [CLS] prompt [SEP] response [SEP], types 0 then 1", async () => {
    const enc = await open('tiny/deberta-v3-reward');
    const tok = tokenizerFor(enc.spec, enc.tokenizer);
    expect(tok.special).toMatchObject({ cls: 1, sep: 2, pad: 0 });
    for (const row of ROWS) {
      for (const response of row.responses) {
        const ours = [...tok.encodePair(row.prompt, response, MAX_TOKENS).ids];
        expect(ours).toEqual(tok.encodePairWithPostProcessor(row.prompt, response));
        expect(ours.filter((id) => id === 2)).toHaveLength(2);
        // With type_vocab_size > 0, the template's type ids: 0 for [CLS] A [SEP], 1 for B [SEP].
        const ids = tf.tensor2d([ours], undefined, 'int32');
        const mask = tf.ones([1, ours.length]) as tf.Tensor2D;
        const types = bertTokenTypes(ids, mask, { ...enc.spec.bert, typeVocabSize: 2 });
        const prompt = tok.encodeText(row.prompt).length + 2;
        expect(Array.from(await types.data())).toEqual(ours.map((_, t) => (t < prompt ? 0 : 1)));
        tf.dispose([ids, mask, types]);
      }
    }
  });

  it('`rmlab score --model <hub id>` scores with its own head, as PyTorch does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deberta-cli-'));
    const rows = join(dir, 'rows.jsonl');
    writeFileSync(rows, ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const cli = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'score', '--model', 'tiny/deberta-v3-reward', '--data', rows], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HF_ENDPOINT: hub.url },
      });
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(cli.code, cli.stderr).toBe(0);
    const scored = cli.stdout
      .trim()
      .split('\n')
      .flatMap((line) => (JSON.parse(line) as { rewards: number[] }).rewards);
    const enc = await open('tiny/deberta-v3-reward');
    const theirs = await torchRewards(
      hub.repos.get('tiny/deberta-v3-reward')!.files,
      batch(tokenizerFor(enc.spec, enc.tokenizer)),
    );
    expect(scored).toHaveLength(theirs.length);
    theirs.forEach((t, i) => expect(scored[i], `reward ${i}`).toBeCloseTo(t, 5));
  });

  it('a bare DebertaV2Model gets a fresh pooler and head, named', async () => {
    const enc = await open('tiny/deberta-v3');
    expect(enc.head).toBeUndefined();
    expect(enc.summary.readyHead).toBe(false);
    expect(enc.summary.initialised).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
  });

  it('a pytorch_model.bin checkpoint (DeBERTa-v2: pos_*_proj, segments, embed_proj) scores as the reference', async () => {
    const enc = await open('tiny/deberta-v2-reward-bin');
    expect(enc.summary.readyHead).toBe(true);
    const model = RewardModel.fromPretrained(enc.spec, enc.weights, 0, enc.head);
    const out = await runBertFixture(v2Cls as BertFixture, model);
    expectClose('deberta-v2 from pytorch_model.bin', bertComparisons(v2Cls as BertFixture, out).slice(0, 2));
  });

  it('refuses a repository with spm.model and no tokenizer.json, naming both files', async () => {
    await expect(open('tiny/deberta-spm-only')).rejects.toThrow(
      /has no tokenizer\.json: .*SentencePiece model \(spm\.model\) is not one RM Lab reads/,
    );
    expect(hub.requests.some((p) => p.includes('deberta-spm-only') && p.endsWith('model.safetensors'))).toBe(false);
  });
});
