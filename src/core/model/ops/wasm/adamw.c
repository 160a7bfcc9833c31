// One parameter's clipped AdamW update on f32x4 SIMD, in one pass (see ../adamw.ts for the maths).
// tfjs runs the plain composition as ~14 kernels per parameter, each a pass over the whole tensor:
// with a 30,522 x 128 embedding table that was most of a bert-tiny-sized step's elementwise time.
// The operations are the composition's, in its order, each in float32 (mul, add, div and sqrt are
// correctly rounded in WebAssembly as in tfjs's kernels): the same numbers, bit for bit.
#include <wasm_simd128.h>

#define B1 0.9f
#define ONE_MINUS_B1 0.1f // float32(1 - 0.9), as tfjs makes the scalar
#define B2 0.999f
#define ONE_MINUS_B2 0.001f
#define EPS 1e-8f

static inline v128_t splat(float v) { return wasm_f32x4_splat(v); }

// Lanes of one step: w, g, m, v in; w, m, v out.
static inline void update(v128_t w, v128_t g, v128_t m, v128_t v, v128_t c, v128_t keep, v128_t neg_lr,
                          v128_t oma1, v128_t oma2, v128_t *w_out, v128_t *m_out, v128_t *v_out) {
  g = wasm_f32x4_mul(g, c);
  w = wasm_f32x4_mul(w, keep);
  v128_t m1 = wasm_f32x4_add(wasm_f32x4_mul(m, splat(B1)), wasm_f32x4_mul(g, splat(ONE_MINUS_B1)));
  v128_t v1 = wasm_f32x4_add(wasm_f32x4_mul(v, splat(B2)), wasm_f32x4_mul(wasm_f32x4_mul(g, g), splat(ONE_MINUS_B2)));
  v128_t m_hat = wasm_f32x4_div(m1, oma1);
  v128_t v_hat = wasm_f32x4_div(v1, oma2);
  v128_t step = wasm_f32x4_div(m_hat, wasm_f32x4_add(wasm_f32x4_sqrt(v_hat), splat(EPS)));
  *w_out = wasm_f32x4_add(wasm_f32x4_mul(step, neg_lr), w);
  *m_out = m1;
  *v_out = v1;
}

/**
 * w_out, m_out, v_out (n floats each) = one AdamW step from w, g, m, v. The gradient is scaled by
 * *coefficient (the global-norm clipping) where coefficient is not 0 (a byte offset), w by keep
 * (1 - lr wd; 1 for a parameter without decay). neg_lr = -lr; oma1, oma2 = 1 - beta1^t, 1 - beta2^t.
 */
__attribute__((export_name("adamw"))) void adamw(const float *w, const float *g, const float *m, const float *v,
                                                 const float *coefficient, float *w_out, float *m_out, float *v_out,
                                                 int n, float keep, float neg_lr, float oma1, float oma2) {
  v128_t c = splat(coefficient ? *coefficient : 1.0f);
  v128_t k = splat(keep), l = splat(neg_lr), a1 = splat(oma1), a2 = splat(oma2);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t wo, mo, vo;
    update(wasm_v128_load(w + i), wasm_v128_load(g + i), wasm_v128_load(m + i), wasm_v128_load(v + i), c, k, l, a1,
           a2, &wo, &mo, &vo);
    wasm_v128_store(w_out + i, wo);
    wasm_v128_store(m_out + i, mo);
    wasm_v128_store(v_out + i, vo);
  }
  for (; i < n; i++) {
    v128_t wo, mo, vo;
    update(splat(w[i]), splat(g[i]), splat(m[i]), splat(v[i]), c, k, l, a1, a2, &wo, &mo, &vo);
    w_out[i] = wasm_f32x4_extract_lane(wo, 0);
    m_out[i] = wasm_f32x4_extract_lane(mo, 0);
    v_out[i] = wasm_f32x4_extract_lane(vo, 0);
  }
}
