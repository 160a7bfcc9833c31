// A reward model shared on the Hub (or a folder RM Lab exported) added as a model as it is: a
// *ForSequenceClassification checkpoint with one label. config.json is checked before anything
// else is read, so a sentiment classifier with three labels or a bare encoder is refused at the
// cost of one small file, naming what it holds; the loaded folder must then bring its head.
import { familyPooling, pretrainedEncoder, type PretrainedEncoder, type PretrainedFolder } from './pretrained.ts';
import type { NamedWeight } from './reward-model.ts';

/**
 * The labels config.json gives its classifier, as transformers counts them: id2label's entries
 * (by id), else num_labels, else PretrainedConfig's default of two.
 */
export function classifierLabels(configJson: Record<string, unknown>): string[] {
  const id2label = configJson.id2label;
  if (id2label && typeof id2label === 'object' && !Array.isArray(id2label)) {
    return Object.entries(id2label as Record<string, unknown>)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, name]) => String(name));
  }
  const n = configJson.num_labels;
  const count = typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 1000 ? n : 2;
  return Array.from({ length: count }, (_, i) => `LABEL_${i}`);
}

/**
 * Refuses a config.json that is not a one-label sequence classifier, in words naming what it is.
 * `label` is how the user named the model.
 */
export function checkRewardConfig(configJson: Record<string, unknown>, label: string): void {
  const architectures = Array.isArray(configJson.architectures) ? configJson.architectures.map(String) : [];
  if (architectures.length > 0 && !architectures.some((a) => a.endsWith('ForSequenceClassification'))) {
    throw new Error(
      `${label} is a ${architectures.join(', ')}, not a *ForSequenceClassification checkpoint: it has no reward ` +
        'head to score with. Pick it as the encoder on the Train screen to train a reward model from it',
    );
  }
  const labels = classifierLabels(configJson);
  if (labels.length !== 1) {
    const named = labels.slice(0, 8).join(', ') + (labels.length > 8 ? `, and ${labels.length - 8} more` : '');
    throw new Error(
      `${label} is a classifier with ${labels.length} labels (${named}), not a reward model with one score: ` +
        'RM Lab adds only checkpoints whose config.json has one label (num_labels 1)',
    );
  }
}

/** A loaded folder as a ready reward model: its family's pooling and its own head, or the reason it has none. */
export function readyRewardModel(
  folder: PretrainedFolder,
  source: string,
): PretrainedEncoder & { head: NamedWeight[] } {
  const opened = pretrainedEncoder(folder, familyPooling(folder), source);
  if (!opened.head) {
    const why = opened.summary.headNote?.replace(/: a fresh head$/, '') ?? 'the checkpoint holds no classifier weights';
    throw new Error(`${source} has no reward head (${why}): train one from it on the Train screen`);
  }
  return opened as PretrainedEncoder & { head: NamedWeight[] };
}
