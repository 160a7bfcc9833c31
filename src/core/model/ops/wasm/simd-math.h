// exp on four floats at once, for the elementwise kernels (gelu.c). No libc in these modules (they
// run in tfjs's memory and may own none: see batch-matmul.c), so no expf: this is Cephes' expf on
// f32x4 (range reduction x = n ln 2 + r, |r| <= ln 2 / 2, a degree-6 polynomial for e^r, then 2^n
// put in the exponent bits). Relative error about 2 float32 ulps over the clamped range.
#include <wasm_simd128.h>

static inline v128_t exp_f32x4(v128_t x) {
  // Clamped so that 2^n stays a normal float: e^-87.3 ~ 1.2e-38, e^88.3 ~ 2.2e38.
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.3f)), wasm_f32x4_splat(88.3f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  // r = x - n ln 2, with ln 2 split in two so that n * hi is exact.
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  // 2^n: n + 127 in the exponent field.
  v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, bits);
}

// The first n (< 4) floats of p as a vector, zero beyond; and back. For the tail of an array.
static inline v128_t load_tail(const float *p, int n) {
  v128_t v = wasm_f32x4_splat(0.0f);
  if (n > 0) v = wasm_f32x4_replace_lane(v, 0, p[0]);
  if (n > 1) v = wasm_f32x4_replace_lane(v, 1, p[1]);
  if (n > 2) v = wasm_f32x4_replace_lane(v, 2, p[2]);
  return v;
}

static inline void store_tail(float *p, v128_t v, int n) {
  if (n > 0) p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}
