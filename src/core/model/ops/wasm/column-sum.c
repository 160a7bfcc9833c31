// Sums over leading axes, x [rows, cols] -> out [cols], on f32x4 SIMD: a bias's gradient (sum over
// the batch and positions) and a LayerNorm's dgamma and dbeta. tfjs-backend-wasm 4.22 reduces only
// over the innermost axes, so it first transposes [rows, cols] to [cols, rows] (a full copy,
// strided) and then sums: its Sum was 22-24% of a training step. Each column is summed in row order,
// in float32 (tfjs adds in another order: the two differ by rounding).
#include <wasm_simd128.h>

/** out[j] = sum over i < rows of x[i * cols + j], for j < cols. */
__attribute__((export_name("column_sum"))) void column_sum(const float *x, float *out, int rows, int cols) {
  int j = 0;
  for (; j + 16 <= cols; j += 16) {
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    const float *p = x + j;
    for (int i = 0; i < rows; i++, p += cols) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(p));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(p + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(p + 8));
      s3 = wasm_f32x4_add(s3, wasm_v128_load(p + 12));
    }
    wasm_v128_store(out + j, s0);
    wasm_v128_store(out + j + 4, s1);
    wasm_v128_store(out + j + 8, s2);
    wasm_v128_store(out + j + 12, s3);
  }
  for (; j + 4 <= cols; j += 4) {
    v128_t s = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < rows; i++) s = wasm_f32x4_add(s, wasm_v128_load(x + i * cols + j));
    wasm_v128_store(out + j, s);
  }
  for (; j < cols; j++) {
    float s = 0.0f;
    for (int i = 0; i < rows; i++) s += x[i * cols + j];
    out[j] = s;
  }
}
