// A model's encoder in a few words, for the model list.
import type { ModelSpec } from '../../core/model/reward-model.ts';
import type { ModelCard } from '../../store/db.ts';
import { describeQuickHead, isQuickHeadSpec } from '../../core/quick-head/spec.ts';
import { BASELINE_LABELS, compactAccuracy, heldOutAccuracy } from '../../core/eval/baselines/index.ts';

export function describeEncoder(spec: ModelSpec): string {
  const lora = 'lora' in spec && spec.lora ? `, LoRA r ${spec.lora.rank} on ${spec.lora.targets.join(', ')}` : '';
  const length = (spec.length === 'term' ? ', length term' : spec.length === 'odin' ? ', ODIN length term' : '') + lora;
  if (spec.encoder === 'builtin-transformer') {
    const t = spec.transformer;
    // No layer: the pooled word vectors themselves (a bag of words).
    const shape = t.nLayers === 0 ? `bag of words, ${t.dModel} wide` : `transformer, ${t.nLayers} × ${t.dModel}`;
    return `built-in ${shape}, ${t.pooling} pooling${length}`;
  }
  if (spec.encoder === 'frozen-hub') return describeQuickHead(spec);
  return `${spec.source} (${spec.bert.modelType}, ${spec.bert.numLayers} × ${spec.bert.hiddenSize}), ${spec.pooling} pooling${length}`;
}

/** The card's held-out accuracy with its interval and n, where the card knows n (cards before that: bare). */
export function describeHeldOut(card: ModelCard): string {
  if (card.heldOutAccuracy === undefined) return '–';
  if (card.heldOutPairs === undefined) return `${(100 * card.heldOutAccuracy).toFixed(1)}% (n unknown)`;
  return compactAccuracy(heldOutAccuracy(card.heldOutAccuracy, card.heldOutPairs));
}

/** "longer 61.4%, shorter 31.4%, bag of words 55.7%": the run's baselines on the same held-out pairs. */
export function describeBaselines(card: ModelCard): string | undefined {
  const shown = card.baselines?.results.filter((b) => b.id !== 'chance');
  if (!shown?.length) return undefined;
  return shown.map((b) => `${BASELINE_LABELS[b.id]} ${(100 * b.accuracy).toFixed(1)}%`).join(', ');
}

/** A Hub model's size: "4.39 M parameters", "11,985 parameters" (cards that do not know it: the encoder's shape says enough). */
export function describeSize(card: ModelCard): string {
  if (card.parameters === undefined) return '';
  const n = card.parameters;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B parameters`;
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M parameters` : `${n.toLocaleString('en')} parameters`;
}

/**
 * Where a model came from, for the Models list: trained here; a quick head, which scores only with
 * its embedding model (fetched from the Hub when used: the list says which); a reward model added
 * from the Hub, a URL or a folder; or imported from a file.
 */
export function describeOrigin(card: ModelCard): string {
  if (isQuickHeadSpec(card.spec)) {
    const { model, revision } = card.spec.embedding;
    const needs = `needs ${model}${revision === 'main' ? '' : `@${revision}`}`;
    return card.origin === 'import' ? `quick head, imported (${needs})` : `quick head (${needs})`;
  }
  if (card.origin === 'run') return 'trained here';
  if (card.origin === 'hub') {
    const from = card.importedFrom ?? card.name;
    if (from.startsWith('folder:')) return `from a folder: ${from.slice('folder:'.length)}`;
    return /^https?:/.test(from) ? `from ${from}` : `from the Hub: ${from}`;
  }
  return 'imported';
}

/** What the playground's model list adds to a name: " (imported)" for a model file brought in, " (from the Hub)". */
export function originNote(card: ModelCard): string {
  if (isQuickHeadSpec(card.spec)) return '';
  return card.origin === 'import' ? ' (imported)' : card.origin === 'hub' ? ' (from the Hub)' : '';
}
