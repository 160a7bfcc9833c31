// Batched matrix product for tfjs's WebAssembly backend: C[b] = op(A[b]) @ op(B[b]), where op is the
// identity or the transpose, on 4-wide f32x4 SIMD, single thread. See batch-matmul.ts.
//
// tfjs-backend-wasm 4.22 sends a product to XNNPACK only when it is 2-D and untransposed; attention's
// batched and transposed products (q k^T, p v and all of their gradients) ran in a scalar loop at
// ~1.3 GFLOP/s. This kernel runs those, and the 2-D ones too (faster than tfjs's XNNPACK path in
// training, where the weights change every step: see batch-matmul.ts).
//
// The module imports tfjs's own memory (WebAssembly.Memory of the backend's Emscripten module) and
// reads and writes tensors in place at the byte offsets tfjs gives them: no copies in or out. So it
// must own no memory of its own: no data segments, no C stack (no arrays or address-taken locals),
// no libc. scripts/build-kernels.ts checks the linked module for all three.
//
// Layout (Goto/BLIS): the K x N right-hand side is packed, a block of KC x NC at a time, into
// zero-padded panels NR columns wide (contiguous for any transpose); each MR x NR tile of C is then
// one micro-kernel call that keeps its MR x NR sums in 8 SIMD registers across the block's k, taking
// MR scalars of op(A) (broadcast) and one panel row per k. op(A) is read in place through two strides.
// Sums run over k in order, each C element as mul then add in float32 (no fused multiply-add).
#include <wasm_simd128.h>

#define MR 4
#define NR 8
#define KC 256
#define NC 128

/** Floats of scratch memory batch_matmul needs (the packed block of op(B)). */
__attribute__((export_name("scratch_floats"))) int scratch_floats(void) { return KC * NC; }

// Packs op(B)[p0 + kk, j0 + j] for kk < kc, j < nc into panels [nc / NR][kc][NR], zero-padded on j.
// op(B)[kk, j] = b[kk * bk + j * bn]: (bk, bn) = (N, 1) untransposed, (1, K) transposed.
static void pack_b(const float *b, int bk, int bn, int kc, int nc, float *dst) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int nr = nc - j0 < NR ? nc - j0 : NR;
    const float *src = b + j0 * bn;
    if (bn == 1 && nr == NR) {
      for (int kk = 0; kk < kc; kk++) {
        wasm_v128_store(dst, wasm_v128_load(src + kk * bk));
        wasm_v128_store(dst + 4, wasm_v128_load(src + kk * bk + 4));
        dst += NR;
      }
      continue;
    }
    for (int kk = 0; kk < kc; kk++) {
      for (int j = 0; j < NR; j++) dst[j] = j < nr ? src[kk * bk + j * bn] : 0.0f;
      dst += NR;
    }
  }
}

// The first n (< 4) lanes of v to p.
static inline void store_lanes(float *p, v128_t v, int n) {
  if (n > 0) p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

// p[0..n) as a vector, zero beyond (n < 4).
static inline v128_t load_lanes(const float *p, int n) {
  v128_t v = wasm_f32x4_splat(0.0f);
  if (n > 0) v = wasm_f32x4_replace_lane(v, 0, p[0]);
  if (n > 1) v = wasm_f32x4_replace_lane(v, 1, p[1]);
  if (n > 2) v = wasm_f32x4_replace_lane(v, 2, p[2]);
  return v;
}

// Row r of a tile: the 8 columns of C (the first nr of them) as two vectors, and back.
__attribute__((always_inline)) static inline void load_row(const float *c, int nr, v128_t *lo, v128_t *hi) {
  if (nr == NR) {
    *lo = wasm_v128_load(c);
    *hi = wasm_v128_load(c + 4);
  } else if (nr >= 4) {
    *lo = wasm_v128_load(c);
    *hi = load_lanes(c + 4, nr - 4);
  } else {
    *lo = load_lanes(c, nr);
    *hi = wasm_f32x4_splat(0.0f);
  }
}

static inline void store_row(float *c, int nr, v128_t lo, v128_t hi) {
  if (nr == NR) {
    wasm_v128_store(c, lo);
    wasm_v128_store(c + 4, hi);
  } else if (nr >= 4) {
    wasm_v128_store(c, lo);
    store_lanes(c + 4, hi, nr - 4);
  } else {
    store_lanes(c, lo, nr);
  }
}

// C tile (mr <= MR rows, nr <= NR columns, row stride ldc) = (accumulate ? C : 0) + sum over kk < kc
// of op(A)[r, kk] * panel[kk]. Row r of op(A) starts at a + r * ar and steps by ak over kk.
// Rows past mr repeat row 0 (valid memory) and are not stored.
static void micro_kernel(int kc, const float *a, int ar, int ak, const float *panel, float *c, int ldc, int mr,
                         int nr, int accumulate) {
  const float *a0 = a;
  const float *a1 = mr > 1 ? a + ar : a;
  const float *a2 = mr > 2 ? a + 2 * ar : a;
  const float *a3 = mr > 3 ? a + 3 * ar : a;
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  if (accumulate) {
    load_row(c, nr, &c00, &c01);
    if (mr > 1) load_row(c + ldc, nr, &c10, &c11);
    if (mr > 2) load_row(c + 2 * ldc, nr, &c20, &c21);
    if (mr > 3) load_row(c + 3 * ldc, nr, &c30, &c31);
  }
  for (int kk = 0; kk < kc; kk++) {
    v128_t b0 = wasm_v128_load(panel);
    v128_t b1 = wasm_v128_load(panel + 4);
    panel += NR;
    v128_t x = wasm_v128_load32_splat(a0);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
    a0 += ak;
    a1 += ak;
    a2 += ak;
    a3 += ak;
  }
  store_row(c, nr, c00, c01);
  if (mr > 1) store_row(c + ldc, nr, c10, c11);
  if (mr > 2) store_row(c + 2 * ldc, nr, c20, c21);
  if (mr > 3) store_row(c + 3 * ldc, nr, c30, c31);
}

// One product: C (M x N, row-major) = op(A) (M x K) @ op(B) (K x N).
static void matmul(const float *a, const float *b, float *c, float *scratch, int m, int n, int k, int trans_a,
                   int trans_b) {
  // op(A)[i, kk] = a[i * ar + kk * ak]; op(B)[kk, j] = b[kk * bk + j * bn].
  int ar = trans_a ? 1 : k, ak = trans_a ? m : 1;
  int bk = trans_b ? 1 : n, bn = trans_b ? k : 1;
  if (k == 0) {
    for (int i = 0; i < m * n; i++) c[i] = 0.0f;
    return;
  }
  for (int j0 = 0; j0 < n; j0 += NC) {
    int nc = n - j0 < NC ? n - j0 : NC;
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = k - p0 < KC ? k - p0 : KC;
      pack_b(b + p0 * bk + j0 * bn, bk, bn, kc, nc, scratch);
      for (int i0 = 0; i0 < m; i0 += MR) {
        int mr = m - i0 < MR ? m - i0 : MR;
        const float *a_tile = a + i0 * ar + p0 * ak;
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          micro_kernel(kc, a_tile, ar, ak, scratch + jr * kc, c + i0 * n + j0 + jr, n, mr, nr, p0 > 0);
        }
      }
    }
  }
}

/**
 * c[i] = op(a[i % ...]) @ op(b[...]) for i < batch, every pointer a byte offset in the imported
 * memory: a holds batch_a products of M x K (K x M if trans_a), b holds batch_b of K x N (N x K if
 * trans_b); a batch of 1 is broadcast over the other's. c holds batch products of M x N. scratch
 * holds scratch_floats() floats.
 */
__attribute__((export_name("batch_matmul"))) void batch_matmul(const float *a, const float *b, float *c,
                                                               float *scratch, int batch, int batch_a, int batch_b,
                                                               int m, int n, int k, int trans_a, int trans_b) {
  int stride_a = batch_a == 1 ? 0 : m * k;
  int stride_b = batch_b == 1 ? 0 : k * n;
  for (int i = 0; i < batch; i++) {
    matmul(a + i * stride_a, b + i * stride_b, c + i * m * n, scratch, m, n, k, trans_a, trans_b);
  }
}
