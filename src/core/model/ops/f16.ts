// IEEE 754 half precision (f16) on the CPU: rounding a float32 to the nearest f16 (ties to even, as
// torch's .half() and Math.f16round round) and packing a matrix two halves to a 32-bit word, the
// layout WGSL's core builtins pack2x16float / unpack2x16float read (component 0 in the low 16 bits).
// Those builtins need no `shader-f16` extension, so packed f16 weights run on every WebGPU adapter,
// the software one included (tfjs 4.22 has no float16 dtype: the words travel as an int32 tensor).
//
// The rounding is done here, not on the GPU with pack2x16float: WGSL leaves that builtin's rounding
// to the implementation, and the weights must be the same numbers the PyTorch reference rounds.

const word = new Float32Array(1);
const bits = new Uint32Array(word.buffer);

/** The f16 bits nearest to `v` (ties to even); beyond f16's range (65504) gives +-Infinity, NaN stays NaN. */
export function halfBits(v: number): number {
  word[0] = v;
  const x = bits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15; // the f16 exponent field
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // An f16 subnormal (or zero): the 24-bit significand shifted down to units of 2^-24.
    if (e < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    let half = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa moves into the exponent, which is the right next f16 (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The value of f16 bits `h`. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `v` rounded to the nearest f16, as a number. */
export const toHalf = (v: number): number => halfValue(halfBits(v));

/** A [rows, cols] matrix in f16, two columns to a word: what the WGSL kernels read. */
export interface PackedHalves {
  /** [rows, ceil(cols / 2)] words: column 2j in the low half of word j, column 2j + 1 in the high half (0 past the end). */
  words: Int32Array;
  /** The matrix rounded to f16, as float32: the numbers the packed words hold. */
  rounded: Float32Array;
  /** Whether every value fit f16's range (|v| <= 65504): a weight that did not stays float32. */
  finite: boolean;
}

/** Rounds a row-major [rows, cols] float32 matrix to f16 and packs it two columns to a word. */
export function packHalves(values: ArrayLike<number>, rows: number, cols: number): PackedHalves {
  const pairs = Math.ceil(cols / 2);
  const words = new Int32Array(rows * pairs);
  const rounded = new Float32Array(rows * cols);
  let finite = true;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const h = halfBits(v);
      rounded[r * cols + c] = halfValue(h);
      if ((h & 0x7c00) === 0x7c00 && Number.isFinite(v)) finite = false;
      const at = r * pairs + (c >> 1);
      words[at] = words[at]! | (c & 1 ? h << 16 : h);
    }
  }
  return { words, rounded, finite };
}
