// Rows of a table by index, out[i, :] = table[indices[i], :]: an embedding lookup. tfjs-backend-wasm
// 4.22's Gather walks every element through generic strides (~100 ns an element here): 5-9% of a
// training step for the token, position and segment embeddings. Here a row is a block copy.

/**
 * Copies table rows (row_len 4-byte values each: float32 or int32) to out, after checking every
 * index against table_rows: returns -1 when done, or the position of the first index out of range
 * (then nothing is written).
 */
__attribute__((export_name("gather_rows"))) int gather_rows(const int *table, const int *indices, int *out, int n,
                                                            int row_len, int table_rows) {
  for (int i = 0; i < n; i++) {
    if (indices[i] < 0 || indices[i] >= table_rows) return i;
  }
  for (int i = 0; i < n; i++) {
    const int *src = table + indices[i] * row_len;
    int *dst = out + i * row_len;
    for (int j = 0; j < row_len; j++) dst[j] = src[j];
  }
  return -1;
}
