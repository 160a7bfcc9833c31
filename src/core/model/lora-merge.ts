// LoRA merged into its base weights, as PEFT's merge_and_unload does: W' = W + (alpha / r) A B in
// RM Lab's orientation (W [in, out], A [in, r], B [r, out]; PEFT's W [out, in] + scale B A is the
// same matrix transposed). The merged model has no adapters and computes what the adapted one did,
// so it exports as the usual Hugging Face folder (hf-checkpoint.ts) and scores the same. Summed in
// float64 and rounded once to float32.
import { loraTargets } from './lora.ts';
import type { ModelSpec, NamedWeight } from './reward-model.ts';

/** The spec without adapters and the weights with each adapter folded into its projection. */
export function mergeLora<S extends ModelSpec>(
  spec: S,
  weights: readonly NamedWeight[],
): { spec: S; weights: NamedWeight[] } {
  if (!('lora' in spec) || !spec.lora) return { spec, weights: [...weights] };
  const scale = spec.lora.alpha / spec.lora.rank;
  const byName = new Map(weights.map((w) => [w.name, w]));
  const merged = new Map<string, NamedWeight>();
  for (const p of loraTargets(spec)) {
    const get = (name: string) => {
      const w = byName.get(name);
      if (!w) throw new Error(`the model has no weight ${name}`);
      return w;
    };
    const [w, a, b] = [get(`${p.linear}.weight`), get(`${p.linear}.lora_A`), get(`${p.linear}.lora_B`)];
    merged.set(w.name, { name: w.name, shape: [...w.shape], data: plusLowRank(w.data, a.data, b.data, p, scale) });
  }
  const { lora: _lora, ...base } = spec;
  return {
    spec: base as S,
    weights: weights.filter((w) => !/\.lora_[AB]$/.test(w.name)).map((w) => merged.get(w.name) ?? w),
  };
}

/** W [in, out] + scale A [in, r] B [r, out], row-major. */
function plusLowRank(
  w: Float32Array,
  a: Float32Array,
  b: Float32Array,
  { inDim, outDim }: { inDim: number; outDim: number },
  scale: number,
): Float32Array {
  const r = a.length / inDim;
  const out = new Float32Array(w.length);
  for (let i = 0; i < inDim; i++) {
    for (let j = 0; j < outDim; j++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += a[i * r + k]! * b[k * outDim + j]!;
      out[i * outDim + j] = w[i * outDim + j]! + scale * sum;
    }
  }
  return out;
}

/** A row-major [rows, cols] matrix -> its transpose [cols, rows]. */
export function transposed(data: Float32Array, [rows, cols]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows!; r++) for (let c = 0; c < cols!; c++) out[c * rows! + r] = data[r * cols! + c]!;
  return out;
}
