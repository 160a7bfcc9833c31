// Training pairs per second of each encoder family (DeBERTa as v3 is configured) on tfjs's WASM backend in Node, at one small size
// (hidden 128, 2 layers, 4 heads, MLP 512, 64 tokens, 8 pairs a step: 16 sequences), random weights
// as HF initialises them, the same batch for every family, in one run so the ratios compare. A step
// is forward, Bradley-Terry loss, every gradient and an Adam update, as training does.
//   nice -n 10 npx tsx bench/families.ts        -> bench/results/families-wasm.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readModelConfig } from '../src/core/model/families/registry.ts';
import { RewardModel, type BertModelSpec } from '../src/core/model/reward-model.ts';
import { bradleyTerryLoss } from '../src/core/train/loss.ts';

await tf.setBackend('wasm');
const [D, L, H, I, T, PAIRS, V] = [128, 2, 4, 512, 64, 8, 8000];
const STEPS = 6;
const common = { vocab_size: V, hidden_size: D, num_hidden_layers: L, num_attention_heads: H, intermediate_size: I };
const CONFIGS: Record<string, Record<string, unknown>> = {
  bert: { model_type: 'bert', ...common, max_position_embeddings: 512 },
  distilbert: { model_type: 'distilbert', vocab_size: V, dim: D, n_layers: L, n_heads: H, hidden_dim: I },
  roberta: { model_type: 'roberta', ...common, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 },
  'xlm-roberta': {
    model_type: 'xlm-roberta',
    ...common,
    max_position_embeddings: 514,
    type_vocab_size: 1,
    pad_token_id: 1,
  },
  electra: { model_type: 'electra', ...common, embedding_size: 64 },
  // DeBERTa-v3's own settings (deberta-v3-base's config.json): 256 buckets, so 512 relative rows
  // that each layer's c2p and p2c products read, whatever the sequence's length.
  'deberta-v3': {
    model_type: 'deberta-v2',
    ...common,
    max_position_embeddings: 512,
    relative_attention: true,
    position_buckets: 256,
    max_relative_positions: -1,
    share_att_key: true,
    pos_att_type: 'p2c|c2p',
    norm_rel_ebd: 'layer_norm',
    position_biased_input: false,
    type_vocab_size: 0,
  },
};

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

const rows = [];
for (const [family, json] of Object.entries(CONFIGS)) {
  const bert = readModelConfig(json, { sepTokenId: 2, padTokenId: json.pad_token_id === 1 ? 1 : 0 });
  const spec: BertModelSpec = {
    encoder: 'bert',
    tokenizer: 'embedded',
    bert,
    pooling: 'cls',
    source: `bench/${family}`,
  };
  const model = RewardModel.create(spec, 1);
  const optimizer: tf.Optimizer = tf.train.adam(1e-4);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const [rc, rr] = tf.split(model.rewards(ids, mask), 2) as [tf.Tensor1D, tf.Tensor1D];
      return bradleyTerryLoss(rc, rr, margin);
    }, model.trainableVariables);
    optimizer.applyGradients(grads);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await step(); // warm-up
  const t0 = performance.now();
  for (let s = 0; s < STEPS; s++) await step();
  const seconds = (performance.now() - t0) / 1000;
  const parameters = [...model.params.values()].reduce((n, v) => n + v.size, 0);
  optimizer.dispose();
  model.dispose();
  rows.push({ family, parameters, msPerStep: (1000 * seconds) / STEPS, pairsPerSecond: (PAIRS * STEPS) / seconds });
  console.log(rows.at(-1));
}
tf.dispose([ids, mask, margin]);
const loadavg = readFileSync('/proc/loadavg', 'utf8').trim();
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/families-wasm.json',
  JSON.stringify(
    {
      date: new Date().toISOString(),
      backend: 'wasm (Node, single thread)',
      machine: `${cpus().length} cores shared by 8 engineers; /proc/loadavg at the end: ${loadavg}`,
      size: { hidden: D, layers: L, heads: H, intermediate: I, tokens: T, pairsPerStep: PAIRS, vocab: V },
      steps: STEPS,
      rows,
    },
    null,
    2,
  ) + '\n',
);
