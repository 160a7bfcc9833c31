// Training and scoring throughput of the decoder families (GPT-2, Llama/SmolLM2, Qwen2) at a small
// size on tfjs's WASM backend in Node, beside a BERT of the same width in the same run (the ratio is
// what to read; absolute figures depend on the machine's load).
//   nice -n 10 npx tsx bench/decoders.ts
// Each model: hidden 64, 2 layers, 4 query heads (2 key/value heads for Llama/Qwen2), inner 256,
// vocabulary 1000, random weights as HF initialises them; 8 pairs a step (16 sequences of 64 tokens,
// a quarter of them padded), Bradley-Terry loss, Adam. 2 warm-up steps, then 10 timed. Results go
// to bench/results/decoders.json. It asserts nothing: figures, not tests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readModelConfig } from '../src/core/model/families/registry.ts';
import { RewardModel, type BertModelSpec } from '../src/core/model/reward-model.ts';
import { bradleyTerryLoss } from '../src/core/train/loss.ts';
import { mulberry32 } from '../src/core/train/shuffle.ts';

const [V, D, L, T, PAIRS] = [1000, 64, 2, 64, 8];
const common = { vocab_size: V, eos_token_id: 1, pad_token_id: 0 };
const CONFIGS: Record<string, Record<string, unknown>> = {
  bert: {
    model_type: 'bert',
    vocab_size: V,
    hidden_size: D,
    num_hidden_layers: L,
    num_attention_heads: 4,
    intermediate_size: 4 * D,
    max_position_embeddings: 128,
  },
  gpt2: { ...common, model_type: 'gpt2', n_embd: D, n_layer: L, n_head: 4, n_positions: 128 },
  llama: {
    ...common,
    model_type: 'llama',
    hidden_size: D,
    num_hidden_layers: L,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 4 * D,
    max_position_embeddings: 128,
  },
  qwen2: {
    ...common,
    model_type: 'qwen2',
    hidden_size: D,
    num_hidden_layers: L,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 4 * D,
    max_position_embeddings: 128,
  },
};

function batch(): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const random = mulberry32(3);
  const rows = 2 * PAIRS;
  const lengths = Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? 40 : T));
  const ids = lengths.flatMap((n) =>
    Array.from({ length: T }, (_, t) => (t < n ? 2 + Math.floor(random() * (V - 2)) : 0)),
  );
  const mask = lengths.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
  return { ids: tf.tensor2d(ids, [rows, T], 'int32'), mask: tf.tensor2d(mask, [rows, T]) };
}

async function measure(name: string) {
  const spec: BertModelSpec = {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert: readModelConfig(CONFIGS[name], { sepTokenId: 3, padTokenId: 0 }),
    pooling: name === 'bert' ? 'cls' : 'last',
    source: 'bench',
  };
  const model = RewardModel.create(spec, 1);
  const optimizer: tf.Optimizer = tf.train.adam(1e-4);
  const { ids, mask } = batch();
  const margin = tf.zeros([PAIRS]) as tf.Tensor1D;
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D];
      return bradleyTerryLoss(rc, rr, margin);
    }, model.trainableVariables);
    optimizer.applyGradients(grads);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const score = async () => {
    const r = tf.tidy(() => model.rewards(ids, mask));
    await r.data();
    r.dispose();
  };
  for (let i = 0; i < 2; i++) await step();
  const tensorsBefore = tf.memory().numTensors;
  let t0 = performance.now();
  for (let i = 0; i < 10; i++) await step();
  const trainSeconds = (performance.now() - t0) / 1000;
  const tensorsAfter = tf.memory().numTensors;
  await score();
  t0 = performance.now();
  for (let i = 0; i < 10; i++) await score();
  const scoreSeconds = (performance.now() - t0) / 1000;
  const parameters = [...model.params.values()].reduce((n, v) => n + v.size, 0);
  tf.dispose([ids, mask, margin]);
  optimizer.dispose();
  model.dispose();
  return {
    family: name,
    parameters,
    trainPairsPerSecond: (10 * PAIRS) / trainSeconds,
    stepMs: (1000 * trainSeconds) / 10,
    scorePairsPerSecond: (10 * PAIRS) / scoreSeconds,
    tensorsFlatAcrossSteps: tensorsBefore === tensorsAfter,
  };
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  const loadavg = readFileSync('/proc/loadavg', 'utf8').trim();
  const results = [];
  for (const name of Object.keys(CONFIGS)) {
    const r = await measure(name);
    console.log(
      `${name}: ${r.parameters} parameters, train ${r.trainPairsPerSecond.toFixed(1)} pairs/s (${r.stepMs.toFixed(0)} ms/step), score ${r.scorePairsPerSecond.toFixed(1)} pairs/s`,
    );
    results.push(r);
  }
  const bert = results[0]!;
  const out = {
    description:
      'pairs/s of each family at hidden 64, 2 layers, T 64, 8 pairs a step, tfjs WASM in Node; see bench/decoders.ts',
    command: 'nice -n 10 npx tsx bench/decoders.ts',
    backend: 'wasm',
    date: new Date().toISOString(),
    loadavg,
    results: results.map((r) => ({ ...r, trainVsBert: r.trainPairsPerSecond / bert.trainPairsPerSecond })),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/decoders.json', `${JSON.stringify(out, null, 2)}\n`);
  console.log(`load ${loadavg}; wrote bench/results/decoders.json`);
}

void main();
