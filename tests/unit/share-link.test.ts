// Links that reproduce a demo: the link's own fields (dataset by URL or inline, a model URL, the
// screen), their limits, and the downloads a link starts, with their plain-words errors.
import { describe, expect, it } from 'vitest';
import { DATASET_URL_MAX_BYTES, fetchLimited, httpUrl, readAll } from '../../src/core/share/fetch-url.ts';
import {
  compressDataset,
  decompressDataset,
  fromBase64Url,
  INLINE_DATASET_MAX_CHARS,
  inlineDatasetFileName,
  toBase64Url,
} from '../../src/core/share/inline-dataset.ts';
import { decodeSetup, encodeSetup } from '../../src/core/share/setup-link.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/core/train/config.ts';

const jsonl = Array.from({ length: 40 }, (_, i) =>
  JSON.stringify({ prompt: `Question ${i}: ünïcödé & <b>tags</b>?`, chosen: `good ${i}`, rejected: `bad ${i}` }),
).join('\n');

/** Text that deflate cannot shrink much (a seeded pseudo-random string). */
function noise(chars: number): string {
  let x = 12345;
  let out = '';
  for (let i = 0; i < chars; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += String.fromCharCode(33 + ((x >>> 16) % 90));
  }
  return out;
}

describe('share links', () => {
  it('carry a dataset URL, a model URL and the screen beside the training options, defaults left out', () => {
    const setup = {
      datasetUrl: 'https://example.org/data/pairs.jsonl',
      modelUrl: 'https://example.org/rm.rmlab.safetensors',
      screen: 'use' as const,
      config: { ...DEFAULT_TRAIN_CONFIG, epochs: 1 },
    };
    const hash = encodeSetup(setup);
    expect(hash).toBe(
      'dataset-url=https%3A%2F%2Fexample.org%2Fdata%2Fpairs.jsonl&model-url=https%3A%2F%2Fexample.org%2Frm.rmlab.safetensors&screen=use&epochs=1',
    );
    expect(decodeSetup(`#${hash}`)).toEqual(setup);
  });

  it('read the screen names of older links as the screens that replaced them', () => {
    expect(decodeSetup('#screen=playground').screen).toBe('use');
    expect(decodeSetup('#screen=runs').screen).toBe('results');
    expect(decodeSetup('#screen=evaluate').screen).toBe('evaluate');
  });

  it('refuse addresses that are not http(s), unknown screens and two datasets at once', () => {
    expect(() => decodeSetup('#dataset-url=file%3A%2F%2F%2Fetc%2Fpasswd')).toThrow(
      'the dataset address must start with https:// or http:// (got "file:")',
    );
    expect(() => decodeSetup('#model-url=javascript%3Aalert(1)')).toThrow('the model address must start with https://');
    expect(() => decodeSetup('#dataset-url=pairs.jsonl')).toThrow(
      'the dataset address "pairs.jsonl" is not a valid URL',
    );
    expect(() => decodeSetup('#screen=admin')).toThrow("the link's screen must be one of data, train");
    expect(() => decodeSetup('#dataset=demo&dataset-url=https%3A%2F%2Fa.org%2Fx.jsonl')).toThrow(
      'the link names dataset and dataset-url: give one dataset',
    );
  });

  it('round-trip a small dataset through deflate-raw and base64url, last in the link', async () => {
    const payload = await compressDataset(jsonl);
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(payload.length).toBeLessThan(jsonl.length / 2);
    const hash = encodeSetup({
      datasetInline: payload,
      screen: 'train',
      config: { ...DEFAULT_TRAIN_CONFIG, dModel: 32 },
    });
    expect(hash).toMatch(/^screen=train&dModel=32&dataset-inline=/);
    const back = decodeSetup(hash);
    expect(back.datasetInline).toBe(payload);
    await expect(decompressDataset(back.datasetInline!)).resolves.toBe(jsonl);
    expect(inlineDatasetFileName(payload)).toBe(inlineDatasetFileName(payload));
    expect(inlineDatasetFileName(payload)).not.toBe(inlineDatasetFileName(payload.slice(1)));
  });

  it('base64url keeps every byte', () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256);
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
  });

  it('refuse a dataset too large for a link, with the size and what to do instead', async () => {
    const big = noise(INLINE_DATASET_MAX_CHARS);
    await expect(compressDataset(big)).rejects.toThrow(
      /^this dataset compresses to [\d,]+ characters, more than the 32,000 a link can carry: .*dataset-url/,
    );
    expect(() => decodeSetup(`#dataset-inline=${'A'.repeat(INLINE_DATASET_MAX_CHARS + 1)}`)).toThrow(
      'this dataset compresses to 32,001 characters',
    );
  });

  it('say plainly when an inline dataset is damaged or expands too far', async () => {
    expect(() => decodeSetup('#dataset-inline=abc%2Bdef')).toThrow("the link's inline dataset is damaged");
    const payload = await compressDataset(jsonl);
    await expect(decompressDataset(payload.slice(0, payload.length / 2))).rejects.toThrow(
      "the link's inline dataset is damaged (it does not decompress); was the link cut short?",
    );
    // 8 MB of one repeated line deflates to a few KB: a link must not expand into that.
    const bomb = await compressDataset('x'.repeat(8 * 1024 * 1024));
    await expect(decompressDataset(bomb)).rejects.toThrow("the link's inline dataset expands to more than 4 MB");
  });
});

describe('downloads a link starts', () => {
  const respond = (body: string | null, init: ResponseInit & { headers?: Record<string, string> } = {}) =>
    (async () => new Response(body, init)) as unknown as typeof fetch;

  it('read a file whole, with progress', async () => {
    const seen: number[] = [];
    const d = await fetchLimited('https://a.org/x.jsonl', 'dataset', 1000, { fetchImpl: respond('hello world') });
    const bytes = await readAll(d, (n) => seen.push(n));
    expect(new TextDecoder().decode(bytes)).toBe('hello world');
    expect(seen.at(-1)).toBe(11);
  });

  it('name a missing file, a refusing server and CORS in plain words', async () => {
    await expect(
      fetchLimited('https://a.org/x.jsonl', 'dataset', 1000, { fetchImpl: respond('no', { status: 404 }) }),
    ).rejects.toThrow(
      'could not download the dataset from https://a.org/x.jsonl: there is no file at that address (HTTP 404)',
    );
    await expect(
      fetchLimited('https://a.org/x', 'model', 1000, { fetchImpl: respond('', { status: 500 }) }),
    ).rejects.toThrow('the server answered 500 (HTTP 500)');
    const blocked = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(fetchLimited('https://a.org/x.jsonl', 'dataset', 1000, { fetchImpl: blocked })).rejects.toThrow(
      /does not let other sites read the file \(CORS\)/,
    );
  });

  it('stop at the size limit, whether the server declares the size or not', async () => {
    const declared = respond('x'.repeat(10), { headers: { 'content-length': String(DATASET_URL_MAX_BYTES + 1) } });
    await expect(
      fetchLimited('https://a.org/big.jsonl', 'dataset', DATASET_URL_MAX_BYTES, { fetchImpl: declared }),
    ).rejects.toThrow(/^the dataset at https:\/\/a\.org\/big\.jsonl is 256 MB, more than the 256 MB a link loads/);
    const undeclared = await fetchLimited('https://a.org/big.jsonl', 'dataset', 5, {
      fetchImpl: respond('0123456789'),
    });
    await expect(readAll(undeclared)).rejects.toThrow(/is over 0\.0 MB, more than the 0\.0 MB a link loads/);
    expect(() => httpUrl('ftp://a.org/x', 'dataset')).toThrow('must start with https:// or http://');
  });
});
