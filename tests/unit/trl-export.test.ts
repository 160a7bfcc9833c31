// "Train bigger": the TRL bundle carries the run's settings under TRL's names, its own split, and a
// script Python can parse.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { PairInput } from '../../src/core/data/pair.ts';
import { splitOf } from '../../src/core/data/split.ts';
import {
  DEFAULT_TRL_MODEL,
  pythonLiteral,
  rewardConfigArgs,
  trainBiggerFiles,
  trainBiggerZip,
  TRL_VERSION,
} from '../../src/core/export/trl.ts';
import { parseTrainConfig } from '../../src/core/train/config.ts';

const PYTHON = '/usr/bin/python3';

const config = parseTrainConfig({
  learningRate: 2e-5,
  batchSize: 8,
  epochs: 2,
  maxSteps: 0,
  seed: 42,
  maxLength: 256,
  evalEvery: 30,
  checkpointEvery: 60,
  heldOutFraction: 0.25,
  splitSeed: 7,
  encoder: 'prajjwal1/bert-tiny@v2',
});

function pairs(n: number): PairInput[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `question ${i % 20} "quoted" \\ back`,
    responseA: `answer a ${i}`,
    responseB: `answer b ${i}`,
    winner: i % 10 === 0 ? 'tie' : i % 2 ? 'a' : 'b',
  }));
}

const input = { config, runId: 'run-1', datasetName: 'Demo "pairs"', exportedAt: '2026-01-02T03:04:05.000Z' };

describe('TRL export ("train bigger")', () => {
  it("maps the run's hyper-parameters onto RewardConfig's names", () => {
    const args = rewardConfigArgs(config);
    expect(args).toMatchObject({
      learning_rate: 2e-5,
      per_device_train_batch_size: 8,
      num_train_epochs: 2,
      max_steps: -1,
      seed: 42,
      max_length: 256,
      eval_steps: 30,
      save_steps: 60,
    });
    expect(rewardConfigArgs({ ...config, maxSteps: 123 }).max_steps).toBe(123);
  });

  it('picks up options the training form adds later, by name', () => {
    const later = {
      ...config,
      weightDecay: 0.01,
      centerRewards: 0.01,
      warmupSteps: 5,
      lrSchedule: 'cosine' as const,
      maxGradNorm: 2,
      gradAccumulation: 4,
    };
    expect(rewardConfigArgs(later)).toMatchObject({
      weight_decay: 0.01,
      center_rewards_coefficient: 0.01,
      warmup_steps: 5,
      lr_scheduler_type: 'cosine',
      max_grad_norm: 2,
      gradient_accumulation_steps: 4,
    });
    expect(rewardConfigArgs({ ...config, centerRewards: 0 } as typeof config)).not.toHaveProperty(
      'center_rewards_coefficient',
    );
  });

  it('writes Python literals', () => {
    expect(pythonLiteral(0.0005)).toBe('0.0005');
    expect(pythonLiteral(2e-5)).toBe('0.00002');
    expect(pythonLiteral(1e-7)).toBe('1e-7');
    expect(pythonLiteral(true)).toBe('True');
    expect(pythonLiteral(null)).toBe('None');
    expect(pythonLiteral('a "b"')).toBe('"a \\"b\\""');
  });

  it('splits the pairs as the run did and drops only the ties, counted', () => {
    const all = pairs(200);
    const { files, counts } = trainBiggerFiles({ ...input, pairs: all });
    const heldOut = all.filter(
      (p) => p.winner !== 'tie' && splitOf(p.prompt, { seed: 7, heldOutFraction: 0.25 }) === 'heldout',
    );
    expect(counts).toEqual({ train: 180 - heldOut.length, test: heldOut.length, skipped: 20 });
    expect(heldOut.length).toBeGreaterThan(0);
    const test = files['data/test.jsonl']!.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(test.map((r) => r.prompt)).toEqual(heldOut.map((p) => p.prompt));
    expect(test[0]).toEqual({
      prompt: heldOut[0]!.prompt,
      chosen: heldOut[0]!.winner === 'a' ? heldOut[0]!.responseA : heldOut[0]!.responseB,
      rejected: heldOut[0]!.winner === 'a' ? heldOut[0]!.responseB : heldOut[0]!.responseA,
    });
  });

  it("zips the script, the config, the README and both splits; the config is the run's", () => {
    const { zip } = trainBiggerZip({ ...input, pairs: pairs(50) });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(
      ['README.txt', 'data/test.jsonl', 'data/train.jsonl', 'reward_config.json', 'train_reward_model.py'].sort(),
    );
    const settings = JSON.parse(strFromU8(files['reward_config.json']!));
    expect(settings.model_id).toBe('prajjwal1/bert-tiny');
    expect(settings.model_revision).toBe('v2');
    expect(settings.trl_version).toBe(TRL_VERSION);
    expect(settings.reward_config).toEqual(rewardConfigArgs(config));
    expect(settings.rm_lab.train_config).toEqual(config);
    expect(settings.rm_lab.split).toEqual({ held_out_fraction: 0.25, split_seed: 7, stratify: 'none' });
    const script = strFromU8(files['train_reward_model.py']!);
    expect(script).toContain(`trl==${TRL_VERSION}`);
    expect(script).toContain('MODEL_ID = "prajjwal1/bert-tiny"');
    expect(script).toContain('revision="v2"');
    expect(script).toContain('learning_rate=0.00002,');
    expect(script).toContain('per_device_train_batch_size=8,');
    expect(script).toContain('num_labels=1');
    const readme = strFromU8(files['README.txt']!);
    expect(readme).toMatch(/accelerate launch train_reward_model\.py/);
    expect(readme).toMatch(/torchrun --nproc_per_node/);
  });

  it("says when the settings are the training form's rather than a run's", () => {
    const { runId: _run, ...form } = input;
    const { files } = trainBiggerFiles({ ...form, pairs: pairs(10) });
    expect(files['README.txt']).toMatch(/^From the training form's settings on the dataset "Demo "pairs""/m);
    expect(JSON.parse(files['reward_config.json']!).rm_lab.run_id).toBeNull();
  });

  it('continues a built-in-encoder run on a default Hub model, and says so', () => {
    const { files } = trainBiggerFiles({ ...input, config: { ...config, encoder: 'builtin' }, pairs: pairs(10) });
    expect(files['train_reward_model.py']).toContain(`MODEL_ID = "${DEFAULT_TRL_MODEL}"`);
    expect(files['train_reward_model.py']).toMatch(/built-in transformer, which has no Hub checkpoint/);
  });

  it.skipIf(!existsSync(PYTHON))('writes a script that Python parses, whose RewardConfig has the same values', () => {
    const { files } = trainBiggerFiles({ ...input, pairs: pairs(10) });
    const dir = mkdtempSync(join(tmpdir(), 'trl-export-'));
    const file = join(dir, 'train_reward_model.py');
    writeFileSync(file, files['train_reward_model.py']!);
    // Parse the script and read RewardConfig's keyword arguments as Python sees them.
    const read = `import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "RewardConfig")
print(json.dumps({k.arg: ast.literal_eval(k.value) for k in call.keywords}))`;
    const out = execFileSync(PYTHON, ['-c', read, file], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(rewardConfigArgs(config));
  });
});
