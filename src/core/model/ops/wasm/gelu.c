// GELU forward and backward on f32x4 SIMD, both forms (see ../gelu.ts for the maths), in place in
// tfjs's memory. tfjs-backend-wasm runs the composition op by op, its Tanh, Erf and Exp through
// scalar libm calls: Tanh alone was 13-21% of a built-in transformer training step.
//
// tanh(u) = sign(u) (1 - e) / (1 + e), e = exp(-2|u|) in (0, 1]: no overflow, +-1 for a large |u|
// (as the WebGPU kernel writes it). erf is Abramowitz-Stegun 7.1.26 (absolute error < 1.5e-7), as
// tfjs computes it; its exp(-x^2 / 2) is also the normal density the erf form's derivative needs.
#include "simd-math.h"

#define GELU_C 0.7978845608028654f      // sqrt(2 / pi)
#define GELU_K 0.044715f
#define INV_SQRT_2PI 0.3989422804014327f // 1 / sqrt(2 pi)

static inline v128_t splat(float v) { return wasm_f32x4_splat(v); }
static inline v128_t mul(v128_t a, v128_t b) { return wasm_f32x4_mul(a, b); }
static inline v128_t add(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }

// Lanes of v with the sign of s (s's sign bit, v's magnitude; v >= 0).
static inline v128_t with_sign_of(v128_t v, v128_t s) {
  return wasm_v128_or(v, wasm_v128_and(s, wasm_i32x4_splat((int)0x80000000u)));
}

// t = tanh(C (x + K x^3)), the tanh form's inner value, and 1 - t^2 = 4 e / (1 + e)^2 (written so,
// not as 1 - t * t, which loses the low bits where |t| is near 1).
static inline v128_t tanh_inner(v128_t x, v128_t *one_minus_t2) {
  v128_t u = mul(mul(x, add(splat(1.0f), mul(splat(GELU_K), mul(x, x)))), splat(GELU_C));
  v128_t e = exp_f32x4(mul(splat(-2.0f), wasm_f32x4_abs(u)));
  v128_t d = wasm_f32x4_div(splat(1.0f), add(splat(1.0f), e));
  *one_minus_t2 = mul(mul(splat(4.0f), e), mul(d, d));
  return with_sign_of(mul(wasm_f32x4_sub(splat(1.0f), e), d), u);
}

// erf(x / sqrt 2) (A&S 7.1.26), and g = exp(-x^2 / 2).
static inline v128_t erf_scaled(v128_t x, v128_t *g) {
  v128_t z = mul(wasm_f32x4_abs(x), splat(0.7071067811865476f));
  v128_t t = wasm_f32x4_div(splat(1.0f), add(splat(1.0f), mul(splat(0.3275911f), z)));
  v128_t p = splat(1.061405429f);
  p = add(mul(p, t), splat(-1.453152027f));
  p = add(mul(p, t), splat(1.421413741f));
  p = add(mul(p, t), splat(-0.284496736f));
  p = add(mul(p, t), splat(0.254829592f));
  *g = exp_f32x4(mul(splat(-1.0f), mul(z, z)));
  v128_t y = wasm_f32x4_sub(splat(1.0f), mul(mul(p, t), *g));
  return with_sign_of(y, x);
}

static inline v128_t gelu_tanh(v128_t x) {
  v128_t unused;
  return mul(mul(splat(0.5f), x), add(splat(1.0f), tanh_inner(x, &unused)));
}

// d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) C (1 + 3 K x^2)
static inline v128_t gelu_tanh_grad(v128_t x) {
  v128_t one_minus_t2;
  v128_t t = tanh_inner(x, &one_minus_t2);
  v128_t inner = mul(splat(GELU_C), add(splat(1.0f), mul(splat(3.0f * GELU_K), mul(x, x))));
  v128_t second = mul(mul(mul(splat(0.5f), x), one_minus_t2), inner);
  return add(mul(splat(0.5f), add(splat(1.0f), t)), second);
}

static inline v128_t gelu_erf(v128_t x) {
  v128_t g;
  return mul(mul(splat(0.5f), x), add(splat(1.0f), erf_scaled(x, &g)));
}

// d/dx = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)
static inline v128_t gelu_erf_grad(v128_t x) {
  v128_t g;
  v128_t e = erf_scaled(x, &g);
  return add(mul(splat(0.5f), add(splat(1.0f), e)), mul(x, mul(g, splat(INV_SQRT_2PI))));
}

/** out[i] = GELU(x[i]) for i < n; form 0: tanh, 1: erf. */
__attribute__((export_name("gelu"))) void gelu(const float *x, float *out, int n, int form) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(out + i, form ? gelu_erf(v) : gelu_tanh(v));
  }
  if (i < n) {
    v128_t v = load_tail(x + i, n - i);
    store_tail(out + i, form ? gelu_erf(v) : gelu_tanh(v), n - i);
  }
}

/** out[i] = dy[i] * GELU'(x[i]) for i < n; form 0: tanh, 1: erf. */
__attribute__((export_name("gelu_grad"))) void gelu_grad(const float *dy, const float *x, float *out, int n,
                                                         int form) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(out + i, mul(wasm_v128_load(dy + i), form ? gelu_erf_grad(v) : gelu_tanh_grad(v)));
  }
  if (i < n) {
    v128_t v = load_tail(x + i, n - i);
    store_tail(out + i, mul(load_tail(dy + i, n - i), form ? gelu_erf_grad(v) : gelu_tanh_grad(v)), n - i);
  }
}
