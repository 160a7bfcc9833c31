// tfjs's Sum on the 'wasm' backend over leading axes ([rows, cols] -> [cols]: a bias's gradient over
// the batch and positions, a LayerNorm's dgamma and dbeta), on RM Lab's SIMD kernel (column-sum.c):
// tfjs-backend-wasm transposes the input first and then sums scalar by scalar (22-24% of a training
// step). Each column is summed in row order (tfjs adds in another order: the two differ by float32
// rounding). Every other Sum (inner axes, which tfjs sums in place; int32; a full reduction) runs
// tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import { bind, plainKernel, type Bound, type WasmBackend } from './module.ts';

interface Args {
  inputs: { x: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { axis: number | number[]; keepDims: boolean };
}

/** The split of x's shape into [rows, cols] where the reduced axes are the leading ones; else null. */
function leadingSplit(shape: number[], axis: number | number[]): { rows: number; cols: number; k: number } | null {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  const k = axes.length;
  if (k === 0 || k >= shape.length || axes.some((a, i) => a !== i)) return null;
  const rows = shape.slice(0, k).reduce((x, y) => x * y, 1);
  const cols = shape.slice(k).reduce((x, y) => x * y, 1);
  return rows * cols === 0 ? null : { rows, cols, k };
}

export function columnSum(args: Args): tf.TensorInfo {
  const { x } = args.inputs;
  const split = x.dtype === 'float32' ? leadingSplit(x.shape, args.attrs.axis) : null;
  const kernel = split && bind(args.backend);
  if (!split || !kernel) return plainKernel<Args>(tf.Sum)(args);
  return run(kernel, args.backend, x, split, args.attrs.keepDims);
}

function run(
  kernel: Bound,
  backend: WasmBackend,
  x: tf.TensorInfo,
  { rows, cols, k }: { rows: number; cols: number; k: number },
  keepDims: boolean,
): tf.TensorInfo {
  const shape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = backend.makeOutput(shape, 'float32');
  kernel.exports.column_sum(backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId), rows, cols);
  return out;
}

/** A [3, 5, 21] input summed over its first two axes: the same as tfjs's kernel, within rounding. */
export function columnSumSelfCheck(kernel: Bound, backend: WasmBackend): void {
  const shape = [3, 5, 21];
  const x = backend.makeOutput(
    shape,
    'float32',
    undefined,
    Float32Array.from({ length: 315 }, (_, i) => Math.sin(i)),
  );
  try {
    const ours = run(kernel, backend, x, { rows: 15, cols: 21, k: 2 }, false);
    const theirs = plainKernel<Args>(tf.Sum)({ inputs: { x }, backend, attrs: { axis: [0, 1], keepDims: false } });
    const [a, b] = [backend.readSync(ours.dataId), backend.readSync(theirs.dataId)];
    backend.disposeData(ours.dataId);
    backend.disposeData(theirs.dataId);
    if (a.some((v, i) => !(Math.abs(v - b[i]!) <= 1e-5)))
      throw new Error('self-check: the column sum differs from tfjs Sum');
  } finally {
    backend.disposeData(x.dataId);
  }
}
