// A model's encoder in a few words, for the model list.
import type { ModelSpec } from '../../core/model/reward-model.ts';

export function describeEncoder(spec: ModelSpec): string {
  const length = spec.length === 'term' ? ', length term' : spec.length === 'odin' ? ', ODIN length term' : '';
  if (spec.encoder === 'builtin-transformer') {
    const t = spec.transformer;
    // No layer: the pooled word vectors themselves (a bag of words).
    const shape = t.nLayers === 0 ? `bag of words, ${t.dModel} wide` : `transformer, ${t.nLayers} × ${t.dModel}`;
    return `built-in ${shape}, ${t.pooling} pooling${length}`;
  }
  return `${spec.source} (${spec.bert.modelType}, ${spec.bert.numLayers} × ${spec.bert.hiddenSize}), ${spec.pooling} pooling${length}`;
}
