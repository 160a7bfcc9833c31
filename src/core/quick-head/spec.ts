// A quick reward model as RM Lab stores, exports and scores it: the frozen encoder it needs (a Hub
// feature-extraction model, named with its revision and pooling) and its head's shape. The encoder's
// weights are never stored with it: scoring fetches (or reads from the browser cache) that model, so
// the card and the exported file must say which one it is.
import { parseQuickHeadConfig, type EmbeddingSource, type QuickHeadConfig } from './config.ts';
import type { QuickHeadShape } from './head.ts';

export interface QuickHeadModelSpec {
  encoder: 'frozen-hub';
  /** The encoder's own tokenizer, fetched with it from the Hub; nothing travels with the head. */
  tokenizer: 'hub';
  embedding: EmbeddingSource;
  head: QuickHeadShape;
  /** Quick heads have no length term: length reaches them only through what the encoder embeds. */
  length?: 'off';
}

/** What a quick head's card keeps of its fit, beside the held-out accuracy every card has. */
export interface QuickHeadSummary {
  config: QuickHeadConfig;
  /** Epoch whose weights were kept (lowest held-out loss). */
  bestEpoch: number;
  trainPairs: number;
  /** Each member's held-out accuracy, and the members' mean spread of r_chosen - r_rejected. */
  memberAccuracy: number[];
  meanSpread: number;
  /** Seconds to embed (0 when every vector came from the cache) and to fit the head. */
  embedSeconds: number;
  fitSeconds: number;
  /** Where the encoder ran and which ONNX weights it used (Transformers.js's device and dtype). */
  encoderRuntime?: string;
  /** Held-out pairs whose two texts embedded identically (examples.ts identicalHeldOut). */
  identicalHeldOut?: number;
}

export function isQuickHeadSpec(spec: { encoder: string }): spec is QuickHeadModelSpec {
  return spec.encoder === 'frozen-hub';
}

/** "Quick linear head (3 members) on Xenova/all-MiniLM-L6-v2, mean pooled, normalized". */
export function describeQuickHead(spec: QuickHeadModelSpec): string {
  const { head, embedding } = spec;
  const members = head.members > 1 ? ` (${head.members} members)` : '';
  const kind = head.head === 'mlp' ? `MLP head, ${head.hiddenUnits} hidden` : 'linear head';
  const revision = embedding.revision === 'main' ? '' : `@${embedding.revision}`;
  return `Quick ${kind}${members} on ${embedding.model}${revision}, ${embedding.pooling} pooled${embedding.normalize ? ', normalized' : ''}`;
}

const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60));

/** A quick head's spec read from outside (a model file): throws naming the field; model-check.ts calls it. */
export function checkQuickHeadSpec(s: Record<string, unknown>, where: string): void {
  const section = (key: string) => {
    const v = s[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`${where}: its spec's ${key} is not an object (got ${shown(v)})`);
    return v as Record<string, unknown>;
  };
  const fail = (path: string, wanted: string, got: unknown) => {
    throw new Error(`${where}: the spec's ${path} must be ${wanted}, got ${shown(got)}`);
  };
  if (s.tokenizer !== 'hub') fail('tokenizer', '"hub" for a quick head', s.tokenizer);
  if (s.length !== undefined && s.length !== 'off') fail('length', '"off" for a quick head', s.length);
  const e = section('embedding');
  if (typeof e.model !== 'string' || !e.model.trim()) fail('embedding.model', 'a Hub model id or URL', e.model);
  if (typeof e.revision !== 'string' || !e.revision.trim()) fail('embedding.revision', 'a revision', e.revision);
  if (e.pooling !== 'mean' && e.pooling !== 'cls') fail('embedding.pooling', 'mean or cls', e.pooling);
  if (typeof e.normalize !== 'boolean') fail('embedding.normalize', 'true or false', e.normalize);
  const h = section('head');
  if (h.head !== 'linear' && h.head !== 'mlp') fail('head.head', 'linear or mlp', h.head);
  const whole = (key: string, max: number) => {
    const v = h[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max)
      fail(`head.${key}`, `a whole number from 1 to ${max}`, v);
  };
  whole('inputSize', 65_536);
  whole('hiddenUnits', 4096);
  whole('members', 16);
}

/** Every weight finite: a head with a NaN would score every response NaN. */
export function checkQuickHeadWeights(
  spec: QuickHeadModelSpec,
  weights: readonly { name: string; data: Float32Array }[],
  where: string,
): void {
  const bad = weights.find((w) => !w.data.every(Number.isFinite));
  if (bad) throw new Error(`${where}: the quick head's tensor ${bad.name} holds NaN or an infinity`);
  if (weights.length === 0) throw new Error(`${where}: ${describeQuickHead(spec)} has no weights`);
}

/** A summary from a model file's metadata, kept only where every field is what it should be. */
export function parseQuickHeadSummary(value: unknown): QuickHeadSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  try {
    const config = parseQuickHeadConfig(v.config);
    const memberAccuracy = v.memberAccuracy;
    if (!Array.isArray(memberAccuracy) || !memberAccuracy.every(finite)) return undefined;
    if (![v.bestEpoch, v.trainPairs, v.meanSpread, v.embedSeconds, v.fitSeconds].every(finite)) return undefined;
    return {
      config,
      bestEpoch: v.bestEpoch as number,
      trainPairs: v.trainPairs as number,
      memberAccuracy: memberAccuracy as number[],
      meanSpread: v.meanSpread as number,
      embedSeconds: v.embedSeconds as number,
      fitSeconds: v.fitSeconds as number,
      ...(typeof v.encoderRuntime === 'string' ? { encoderRuntime: v.encoderRuntime.slice(0, 100) } : {}),
      ...(finite(v.identicalHeldOut) ? { identicalHeldOut: v.identicalHeldOut as number } : {}),
    };
  } catch {
    return undefined;
  }
}
