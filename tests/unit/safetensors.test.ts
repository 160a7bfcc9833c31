// The safetensors reader and writer (src/core/model/safetensors.ts): F32, F16 and BF16 decoded from
// bit patterns written by hand (zeros, subnormals, the largest finite values, infinities, NaN), the
// float -> half conversion over every half value and at rounding ties, round trips, the 8-byte
// alignment the format asks for, header errors that name the file and the tensor, and sharded
// checkpoints (the index's shard list and mergeShards).
import { describe, expect, it } from 'vitest';
import {
  floatToHalf,
  halfToFloat,
  mergeShards,
  readSafetensors,
  shardFiles,
  writeSafetensors,
} from '../../src/core/model/safetensors.ts';

/** A safetensors file built by hand: 8-byte little-endian header length, the JSON header, the raw bytes. */
function rawFile(header: Record<string, unknown>, body: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

/** Little-endian 16-bit words as bytes. */
function words16(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(bytes.buffer).setUint16(2 * i, v, true));
  return bytes;
}

describe('decoding', () => {
  it('F16: zeros, subnormals, normals, the largest finite value, infinities and NaN', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -24], // the smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // the largest subnormal
      [0x0400, 2 ** -14], // the smallest normal
      [0x3c00, 1],
      [0x3555, 0.333251953125],
      [0xc000, -2],
      [0x7bff, 65504], // the largest finite half
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const file = rawFile(
      {
        h: { dtype: 'F16', shape: [cases.length], data_offsets: [0, 2 * cases.length] },
        nan: { dtype: 'F16', shape: [2], data_offsets: [2 * cases.length, 2 * cases.length + 4] },
      },
      new Uint8Array([...words16(cases.map((c) => c[0])), ...words16([0x7e00, 0xfc01])]),
    );
    const { tensors } = readSafetensors(file);
    expect(tensors.get('h')!.dtype).toBe('F16');
    expect(Array.from(tensors.get('h')!.data)).toEqual(cases.map((c) => Math.fround(c[1])));
    expect(Object.is(tensors.get('h')!.data[1], -0)).toBe(true);
    expect(Array.from(tensors.get('nan')!.data).every(Number.isNaN)).toBe(true);
  });

  it('BF16: the top half of a float32, subnormals, infinities and NaN included', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3f80, 1],
      [0xc000, -2],
      [0x3eab, 0.333984375],
      [0x0001, 2 ** -133], // a float32 subnormal
      [0x7f7f, 3.3895313892515355e38], // the largest finite bfloat16
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    const file = rawFile(
      { b: { dtype: 'BF16', shape: [2, 5], data_offsets: [0, 20] } },
      words16([...cases.map((c) => c[0]), 0x7fc0, 0xffc1]),
    );
    const t = readSafetensors(file).tensors.get('b')!;
    expect(t.shape).toEqual([2, 5]);
    expect(Array.from(t.data.slice(0, 8))).toEqual(cases.map((c) => Math.fround(c[1])));
    expect(Number.isNaN(t.data[8]) && Number.isNaN(t.data[9])).toBe(true);
  });

  it('reads a file handed over as a Node Buffer from the shared pool (as fs gives small files)', () => {
    const file = writeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1.5, -2]) }]);
    const pooled = Buffer.from(file); // small Buffers are views into one shared 8 KB pool
    expect(pooled.byteOffset > 0 || pooled.buffer.byteLength > pooled.byteLength).toBe(true);
    expect([...readSafetensors(pooled).tensors.get('w')!.data]).toEqual([1.5, -2]);
  });

  it('F32, F64, I32 and I64 to float32, and a tensor whose bytes are not aligned inside the file', () => {
    const f32 = new Float32Array([1.5, -0, 1e-45, 3.4028234663852886e38, Infinity, NaN]);
    const body = new Uint8Array(2 + 24 + 16 + 8 + 16);
    const view = new DataView(body.buffer);
    view.setUint16(0, 0x3c00, true); // one F16 first: the F32 tensor after it starts at byte 2
    f32.forEach((v, i) => view.setFloat32(2 + 4 * i, v, true));
    view.setFloat64(26, Math.PI, true);
    view.setFloat64(34, -1e-300, true);
    view.setInt32(42, -7, true);
    view.setInt32(46, 2 ** 31 - 1, true);
    view.setBigInt64(50, -3n, true);
    view.setBigInt64(58, 2n ** 40n, true);
    const file = rawFile(
      {
        one: { dtype: 'F16', shape: [], data_offsets: [0, 2] },
        f: { dtype: 'F32', shape: [6], data_offsets: [2, 26] },
        d: { dtype: 'F64', shape: [2], data_offsets: [26, 42] },
        i: { dtype: 'I32', shape: [2], data_offsets: [42, 50] },
        l: { dtype: 'I64', shape: [2], data_offsets: [50, 66] },
      },
      body,
    );
    const { tensors } = readSafetensors(file);
    expect(Array.from(tensors.get('one')!.data)).toEqual([1]); // a scalar: shape [] holds one value
    expect(Array.from(tensors.get('f')!.data)).toEqual(Array.from(f32));
    expect(Array.from(tensors.get('d')!.data)).toEqual([Math.fround(Math.PI), -0]); // -1e-300 underflows float32
    expect(Array.from(tensors.get('i')!.data)).toEqual([-7, Math.fround(2 ** 31 - 1)]);
    expect(Array.from(tensors.get('l')!.data)).toEqual([-3, 2 ** 40]);
  });
});

describe('float -> half', () => {
  it('inverts halfToFloat for every one of the 65,536 half values but NaN', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = halfToFloat(h);
      if (Number.isNaN(x)) expect(Number.isNaN(halfToFloat(floatToHalf(x)))).toBe(true);
      else expect(floatToHalf(x), `0x${h.toString(16)}`).toBe(h);
    }
  });

  it('rounds to nearest, ties to even, overflows to infinity and underflows to zero', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: to even (1)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, to even (upwards)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway: up
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds past the largest finite half
    expect(floatToHalf(65519)).toBe(0x7bff);
    expect(floatToHalf(1e-8)).toBe(0x0000);
    expect(floatToHalf(-1e-8)).toBe(0x8000);
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // subnormal tie (1.5 ulp): to even
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });
});

describe('writing', () => {
  const tensors = [
    { name: 'a', shape: [3], data: new Float32Array([1, -2.5, 1e-3]) },
    { name: 'b.weight', shape: [2, 2], data: new Float32Array([0.1, 0.2, 0.3, 65504]), dtype: 'F16' as const },
    { name: 'c', shape: [1, 3], data: new Float32Array([1.0078125, 1.013671875, 1e30]), dtype: 'BF16' as const },
  ];

  it('round-trips F32 exactly, F16 to the nearest half and BF16 by truncation, with metadata, in the order given', () => {
    const { tensors: back, metadata } = readSafetensors(writeSafetensors(tensors, { format: 'pt', note: 'x' }));
    expect([...back.keys()]).toEqual(['a', 'b.weight', 'c']);
    expect(metadata).toEqual({ format: 'pt', note: 'x' });
    expect(back.get('a')!.data).toEqual(tensors[0]!.data);
    expect(back.get('b.weight')!.dtype).toBe('F16');
    // nearest halves, as numpy.float16 rounds them
    expect(Array.from(back.get('b.weight')!.data)).toEqual([0.0999755859375, 0.199951171875, 0.300048828125, 65504]);
    expect(back.get('c')!.shape).toEqual([1, 3]);
    // BF16 keeps 7 bits of mantissa and the writer truncates: 1 + 2^-7 is exact; 1 + 2^-7 + 2^-8 + 2^-9
    // (nearer 1 + 2^-6) is cut to 1 + 2^-7; 1e30 is cut down, never up.
    const c = back.get('c')!.data;
    expect([c[0], c[1]]).toEqual([1.0078125, 1.0078125]);
    expect(c[2]).toBeLessThanOrEqual(1e30);
    expect(c[2]).toBeGreaterThan(1e30 * (1 - 2 ** -7));
  });

  it('pads the header so the data starts at a multiple of 8 bytes, for any header length', () => {
    for (let n = 1; n <= 16; n++) {
      const file = writeSafetensors([{ name: 'x'.repeat(n), shape: [1], data: new Float32Array([n]) }]);
      const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
      expect((8 + headerLength) % 8, `name of ${n} characters`).toBe(0);
      expect(file.byteLength).toBe(8 + headerLength + 4);
      expect(readSafetensors(file).tensors.get('x'.repeat(n))!.data[0]).toBe(n);
    }
    const noMeta = new TextDecoder().decode(writeSafetensors([{ name: 'x', shape: [0], data: new Float32Array() }]));
    expect(noMeta).not.toContain('__metadata__');
  });

  it('refuses data that does not fill the shape, naming the tensor', () => {
    expect(() => writeSafetensors([{ name: 'w', shape: [2, 3], data: new Float32Array(5) }])).toThrow(
      'tensor w: shape [2,3] needs 6 values, got 5',
    );
  });
});

describe('header errors name the file and what is wrong', () => {
  const good = writeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }]);

  it('a file shorter than its length field', () => {
    expect(() => readSafetensors(new Uint8Array(5), 'x.safetensors')).toThrow(
      'x.safetensors is not a safetensors file (only 5 bytes)',
    );
  });

  it('a header length larger than the file', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 10_000n, true);
    expect(() => readSafetensors(bad, 'm.safetensors')).toThrow(/m\.safetensors .*header length 10000 does not fit/);
  });

  it('a header that is not JSON (e.g. a pickled pytorch_model.bin)', () => {
    const bad = new Uint8Array(64);
    new DataView(bad.buffer).setBigUint64(0, 20n, true);
    bad.set(new TextEncoder().encode('\x80\x02}q\x00(X\x05\x00\x00\x00'), 8);
    expect(() => readSafetensors(bad)).toThrow('model.safetensors is not a safetensors file (its header is not JSON)');
  });

  it('a dtype the app does not read, and a byte range that does not match the shape or the file', () => {
    const u8 = rawFile({ mask: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(() => readSafetensors(u8)).toThrow(
      'model.safetensors: tensor mask is stored as U8; RM Lab reads F32, F16, BF16, F64, I64 and I32',
    );
    const short = rawFile({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12));
    expect(() => readSafetensors(short)).toThrow('tensor w (F32 [2,2]) does not match its byte range 0-12');
    const past = rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
    expect(() => readSafetensors(past)).toThrow('tensor w (F32 [4]) does not match its byte range 0-16');
  });
});

describe('hostile headers are refused before anything is decoded (issue 13)', () => {
  const cases: [string, Record<string, unknown> | unknown, RegExp][] = [
    ['a header that is null', null, /m\.safetensors: its header is not a JSON object \(got null\)/],
    ['a header that is an array', [1, 2], /m\.safetensors: its header is not a JSON object \(got an array\)/],
    [
      'a null tensor entry',
      { w: null },
      /m\.safetensors: tensor w's entry is not an object with dtype, shape and data_offsets/,
    ],
    [
      'missing offsets',
      { w: { dtype: 'F32', shape: [1] } },
      /m\.safetensors: tensor w's data_offsets must be two whole byte offsets \[start, end\], got undefined/,
    ],
    [
      'negative offsets on a half-precision tensor',
      { w: { dtype: 'F16', shape: [2], data_offsets: [-4, 0] } },
      /m\.safetensors: tensor w's data_offsets must be two whole byte offsets \[start, end\], got \[-4,0\]/,
    ],
    [
      'a shape that is not a list of whole numbers',
      { w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } },
      /m\.safetensors: tensor w's shape must be a list of whole numbers, got \[2,-1\]/,
    ],
    [
      'a shape whose size overflows',
      { w: { dtype: 'F32', shape: [1e9, 1e9, 1e9], data_offsets: [0, 8] } },
      /m\.safetensors: tensor w \(F32 \[1000000000,1000000000,1000000000\]\) does not match its byte range 0-8/,
    ],
    [
      'metadata that is not a string map',
      { __metadata__: { spec: { nested: true } } },
      /m\.safetensors: its __metadata__ must map names to strings; "spec" is not a string/,
    ],
  ];
  for (const [what, header, message] of cases) {
    it(what, () => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const bytes = new Uint8Array(8 + json.length + 8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      expect(() => readSafetensors(bytes, 'm.safetensors')).toThrow(message);
    });
  }

  it('two tensors that share bytes', () => {
    const overlap = rawFile(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    );
    expect(() => readSafetensors(overlap, 'm.safetensors')).toThrow(
      /m\.safetensors: tensors a and b overlap \(bytes 0-8 and 4-12\)/,
    );
  });
});

describe('sharded checkpoints', () => {
  const index = {
    metadata: { total_size: 40 },
    weight_map: {
      'embeddings.word_embeddings.weight': 'model-00001-of-00002.safetensors',
      'encoder.layer.0.output.dense.weight': 'model-00002-of-00002.safetensors',
      'embeddings.LayerNorm.weight': 'model-00001-of-00002.safetensors',
    },
  };

  it("lists the index's shard files once each, in order", () => {
    expect(shardFiles(index)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(() => shardFiles({ metadata: {} }, 'x/model.safetensors.index.json')).toThrow(
      'x/model.safetensors.index.json has no weight_map',
    );
    expect(() => shardFiles(null)).toThrow('model.safetensors.index.json has no weight_map');
  });

  it('merges the shards into one map, and refuses a tensor that two shards both hold', () => {
    const one = readSafetensors(
      writeSafetensors(
        [
          { name: 'embeddings.word_embeddings.weight', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
          { name: 'embeddings.LayerNorm.weight', shape: [2], data: new Float32Array([1, 1]) },
        ],
        { format: 'pt' },
      ),
    );
    const two = readSafetensors(
      writeSafetensors([
        { name: 'encoder.layer.0.output.dense.weight', shape: [2, 2], data: new Float32Array([5, 6, 7, 8]) },
      ]),
    );
    const merged = mergeShards([one, two]);
    expect([...merged.tensors.keys()].sort()).toEqual(Object.keys(index.weight_map).sort());
    expect(Array.from(merged.tensors.get('encoder.layer.0.output.dense.weight')!.data)).toEqual([5, 6, 7, 8]);
    expect(merged.metadata).toEqual({ format: 'pt' });
    expect(() => mergeShards([one, one])).toThrow('tensor embeddings.word_embeddings.weight appears in two shards');
  });
});
