// A model's encoder in a few words, for the model list.
import type { ModelSpec } from '../../core/model/reward-model.ts';

export function describeEncoder(spec: ModelSpec): string {
  if (spec.encoder === 'builtin-transformer') {
    const t = spec.transformer;
    return `built-in transformer, ${t.nLayers} × ${t.dModel}, ${t.pooling} pooling`;
  }
  return `${spec.source} (${spec.bert.modelType}, ${spec.bert.numLayers} × ${spec.bert.hiddenSize}), ${spec.pooling} pooling`;
}
