// Off-the-shelf judges: Hub sequence-classification reward models (one label: a score per response,
// as OpenAssistant's and Skywork's reward models are) scored beside the user's own model. A classifier
// of several labels (sentiment, NLI) gives a distribution, not a reward: refused, with its labels named.

/** Why a model's config.json cannot be a judge, or undefined when it can. */
export function judgeConfigProblem(model: string, config: Record<string, unknown>): string | undefined {
  const id2label = config.id2label;
  const labels =
    typeof id2label === 'object' && id2label !== null
      ? Object.values(id2label as Record<string, unknown>).map(String)
      : [];
  const count = typeof config.num_labels === 'number' ? config.num_labels : labels.length || undefined;
  if (count !== undefined && count !== 1) {
    const named = labels.length ? ` (${labels.slice(0, 6).join(', ')}${labels.length > 6 ? ', …' : ''})` : '';
    return (
      `${model} is a classifier with ${count} labels${named}, not a reward model: a judge must have one label, ` +
      'a single score per response'
    );
  }
  return undefined;
}
