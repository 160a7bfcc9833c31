// tfjs's GatherV2 on the 'wasm' backend for rows of a table (axis 0, no batch dimensions: the
// embedding lookups), on RM Lab's kernel (gather-rows.c): tfjs-backend-wasm copies element by
// element through generic strides, 5-9% of a training step. Every other gather runs tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import { bind, plainKernel, type Bound, type WasmBackend } from './module.ts';

interface Args {
  inputs: { x: tf.TensorInfo; indices: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { axis: number; batchDims: number };
}

export function gatherRows(args: Args): tf.TensorInfo {
  const { x, indices } = args.inputs;
  const rowsOfTable =
    (x.dtype === 'float32' || x.dtype === 'int32') &&
    indices.dtype === 'int32' &&
    x.shape.length >= 1 &&
    tf.util.parseAxisParam(args.attrs.axis, x.shape)[0] === 0 &&
    (args.attrs.batchDims ?? 0) === 0;
  const kernel = rowsOfTable && bind(args.backend);
  if (!kernel) return plainKernel<Args>(tf.GatherV2)(args);
  return run(kernel, args.backend, x, indices);
}

function run(kernel: Bound, backend: WasmBackend, x: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const rowLength = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const n = indices.shape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype as 'float32' | 'int32');
  if (n === 0 || rowLength === 0) return out;
  const bad = kernel.exports.gather_rows(
    backend.getMemoryOffset(x.dataId),
    backend.getMemoryOffset(indices.dataId),
    backend.getMemoryOffset(out.dataId),
    n,
    rowLength,
    x.shape[0]!,
  );
  if (bad >= 0) {
    const index = backend.readSync(indices.dataId)[bad];
    backend.disposeData(out.dataId);
    throw new Error(`GatherV2: the index value ${index} is not in [0, ${x.shape[0]! - 1}]`); // tfjs's words
  }
  return out;
}

/** Rows 2, 0, 2 of a [3, 5] table: the same as tfjs's kernel. */
export function gatherRowsSelfCheck(kernel: Bound, backend: WasmBackend): void {
  const x = backend.makeOutput(
    [3, 5],
    'float32',
    undefined,
    Float32Array.from({ length: 15 }, (_, i) => i + 0.5),
  );
  const indices = backend.makeOutput([3], 'int32', undefined, Int32Array.from([2, 0, 2]));
  try {
    const ours = run(kernel, backend, x, indices);
    const theirs = plainKernel<Args>(tf.GatherV2)({
      inputs: { x, indices },
      backend,
      attrs: { axis: 0, batchDims: 0 },
    });
    const [a, b] = [backend.readSync(ours.dataId), backend.readSync(theirs.dataId)];
    backend.disposeData(ours.dataId);
    backend.disposeData(theirs.dataId);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error('self-check: gather differs from tfjs');
  } finally {
    backend.disposeData(x.dataId);
    backend.disposeData(indices.dataId);
  }
}
