// Full fine-tuning against LoRA (rank 8, alpha 16, PEFT's default targets: the attention's query and
// value) on tfjs's WASM backend in Node with RM Lab's WebAssembly kernels, as `rmlab train` runs: a
// small BERT (4 layers x 256, MLP 1024, as bert-mini) and a small Llama-family decoder (4 layers x
// 256, 4 query and 2 key/value heads, SwiGLU 768), random weights as HF initialises them, 64 tokens,
// 8 pairs a step (16 sequences). A step is forward, Bradley-Terry loss, the gradients of what trains
// (freezing.ts: everything, or adapters and head) and an AdamW update, as the trainer takes it.
// Measured: pairs per second from the median of STEPS steps after a warm-up, the two arms' steps
// alternating (both models alive) so the shared cores' changing load hits both alike; the bytes held between steps (weights
// and Adam's moments: what LoRA shrinks); and the peak of tfjs's live tensor bytes within one step
// (tf.profile: those, the tape's activations and the backward pass's transients, which LoRA does not
// shrink: the tape keeps the frozen layers' forward tensors too, freezing.ts).
//   nice -n 10 npx tsx bench/lora.ts        -> bench/results/lora.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from '../src/cli/wasm-kernels.ts';
import { readModelConfig } from '../src/core/model/families/registry.ts';
import { withLora } from '../src/core/model/lora.ts';
import { RewardModel, type BertModelSpec } from '../src/core/model/reward-model.ts';
import { bradleyTerryLoss } from '../src/core/train/loss.ts';
import { AdamW } from '../src/core/train/optimizer.ts';
import { trainedVariables } from '../src/core/train/trainer.ts';

await tf.setBackend('wasm');
if (!(await installWasmKernels())) throw new Error("RM Lab's WebAssembly kernel did not install");
const [T, PAIRS, V, STEPS] = [64, 8, 8000, 10];
const MODELS: Record<string, Record<string, unknown>> = {
  'bert 4x256': {
    model_type: 'bert',
    vocab_size: V,
    hidden_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    intermediate_size: 1024,
    max_position_embeddings: 512,
  },
  'llama 4x256': {
    model_type: 'llama',
    vocab_size: V,
    hidden_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 768,
    max_position_embeddings: 512,
    eos_token_id: 2,
  },
};
const ARMS = { full: 0, 'lora r8': 8 } as const;

const ids = tf.tensor2d(
  Array.from({ length: 2 * PAIRS }, (_, row) =>
    Array.from({ length: T }, (_, t) => (t === 0 ? 0 : t === 20 ? 2 : 3 + ((row * 31 + t * 7) % (V - 3)))),
  ),
  undefined,
  'int32',
);
const mask = tf.tensor2d(
  Array.from({ length: 2 * PAIRS }, (_, row) => Array.from({ length: T }, (_, t) => (t < T - (row % 8) ? 1 : 0))),
);
const margin = tf.zeros([PAIRS]) as tf.Tensor1D;

function specOf(name: string, rank: number): BertModelSpec {
  const json = MODELS[name]!;
  const bert = readModelConfig(json, { sepTokenId: 2, padTokenId: 0 });
  const spec: BertModelSpec = {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert,
    pooling: json.model_type === 'llama' ? 'last' : 'cls',
    source: `bench/${name}`,
  };
  return withLora(spec, { loraRank: rank, loraAlpha: 16, loraTargets: '' });
}

interface Arm {
  heldBytes: number;
  parameters: number;
  trained: number;
  /** One training step; resolves when its loss is read back. */
  step: () => Promise<void>;
  dispose: () => void;
}

/** One arm made and warmed up (Adam's moments exist from its first step on). */
async function makeArm(name: string, rank: number): Promise<Arm> {
  const before = tf.memory().numBytes;
  const model = RewardModel.create(specOf(name, rank), 1);
  const vars = trainedVariables(model, { frozenLayers: 0, embeddingTraining: 'train' });
  const optimizer = await AdamW.create(vars, 0, 1);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D];
      return bradleyTerryLoss(rc, rr, margin);
    }, vars);
    optimizer.step(grads, 1e-4).dispose();
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await step();
  return {
    heldBytes: tf.memory().numBytes - before,
    parameters: [...model.params.values()].reduce((n, v) => n + v.size, 0),
    trained: vars.reduce((n, v) => n + v.size, 0),
    step,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** This arm's peak within one step: the live bytes above what was there before it, plus what it holds itself. */
async function peakOf(arm: Arm): Promise<number> {
  const before = tf.memory().numBytes;
  const profile = await tf.profile(arm.step);
  return profile.peakBytes - before + arm.heldBytes;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: {
  arm: string;
  parameters: number;
  trainedWeights: number;
  pairsPerSecond: number;
  secondsPerStep: number[];
  heldBetweenStepsMiB: number;
  peakMiB: number;
}[] = [];
for (const name of Object.keys(MODELS)) {
  // Both arms alive at once, their steps alternating, so a change in the shared cores' load hits both alike.
  const arms: (readonly [string, Arm])[] = [];
  // Made one after the other, so each counts only its own bytes.
  for (const [arm, rank] of Object.entries(ARMS)) arms.push([arm, await makeArm(name, rank)]);
  const times = new Map(arms.map(([arm]) => [arm, [] as number[]]));
  for (let s = 0; s < STEPS; s++) {
    for (const [arm, a] of arms) {
      const t0 = performance.now();
      await a.step();
      times.get(arm)!.push((performance.now() - t0) / 1000);
    }
  }
  for (const [arm, a] of arms) {
    const seconds = times.get(arm)!;
    rows.push({
      arm: `${name} / ${arm}`,
      parameters: a.parameters,
      trainedWeights: a.trained,
      pairsPerSecond: Number((PAIRS / median(seconds)).toFixed(3)),
      secondsPerStep: seconds.map((x) => Number(x.toFixed(3))),
      heldBetweenStepsMiB: Number((a.heldBytes / 2 ** 20).toFixed(2)),
      peakMiB: Number(((await peakOf(a)) / 2 ** 20).toFixed(2)),
    });
    console.log(rows.at(-1));
    a.dispose();
  }
}
tf.dispose([ids, mask, margin]);

const ratios = Object.keys(MODELS).map((name) => {
  const full = rows.find((r) => r.arm === `${name} / full`)!;
  const lora = rows.find((r) => r.arm === `${name} / lora r8`)!;
  return {
    model: name,
    loraSpeedup: Number((lora.pairsPerSecond / full.pairsPerSecond).toFixed(3)),
    loraPeakMemoryShare: Number((lora.peakMiB / full.peakMiB).toFixed(3)),
    loraHeldMemoryShare: Number((lora.heldBetweenStepsMiB / full.heldBetweenStepsMiB).toFixed(3)),
    trainedShare: Number((lora.trainedWeights / full.trainedWeights).toFixed(5)),
  };
});
console.log(ratios);
const loadavg = readFileSync('/proc/loadavg', 'utf8').trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/lora.json',
  JSON.stringify(
    {
      date: new Date().toISOString(),
      backend: "wasm (Node, single thread, RM Lab's WebAssembly kernels)",
      machine: `${cpus().length} cores shared by 8 engineers; /proc/loadavg at the end: ${loadavg}`,
      size: { tokens: T, pairsPerStep: PAIRS, vocab: V, models: MODELS },
      lora: { rank: 8, alpha: 16, targets: "PEFT's default: query, value (BERT); q_proj, v_proj (Llama)" },
      steps: STEPS,
      note: "pairsPerSecond: pairs per step over the median step time, the two arms' steps alternating (the cores are shared); heldBetweenStepsMiB: tf.memory() after the warm-up step (weights, Adam's moments); peakMiB: the peak of live tensor bytes within one step (tf.profile), this arm's alone",
      rows,
      ratios,
    },
    null,
    2,
  ) + '\n',
);
