// A judge in the worker: one Hub sequence-classification reward model (ONNX, one label), loaded through
// the one Transformers.js loader (hub-pipelines.ts) with download progress and Cancel, scoring
// (prompt, response) items as the model card's reward models expect: the prompt and the response as a
// text pair, its single logit the reward (no sigmoid: a reward, not a probability). Kept loaded until
// another is picked, beside the user's own model (scoring.ts), so Compare, Best-of-N, batch scoring
// and the regression report can show both.
import type { ScoreItem } from '../core/eval/score.ts';
import { ScoringCancelled } from '../core/eval/score.ts';
import { nextTask } from '../core/next-task.ts';
import { judgeConfigProblem } from '../core/model/judge.ts';
import type { LoadProgress } from '../core/model/pretrained.ts';
import { loadHubPipeline } from './hub-pipelines.ts';

type Classifier = Awaited<ReturnType<typeof loadHubPipeline<'text-classification'>>>['pipeline'];

export interface LoadedJudge {
  model: string;
  /** Where it runs and with which weights ("wasm, q8"). */
  runtime: string;
}

/** Texts per forward pass: small, so progress moves and Cancel is heard. */
const JUDGE_BATCH = 16;

export class JudgeSession {
  #held: { judge: LoadedJudge; classifier: Classifier } | undefined;
  #loading: AbortController | undefined;

  get judge(): LoadedJudge | undefined {
    return this.#held?.judge;
  }

  async load(
    model: string,
    endpoint: string | undefined,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<LoadedJudge> {
    if (this.#held?.judge.model === model) return this.#held.judge;
    this.#loading?.abort();
    const loading = (this.#loading = new AbortController());
    try {
      const loaded = await loadHubPipeline('text-classification', {
        model,
        signal: loading.signal,
        ...(endpoint ? { endpoint } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
      const problem = judgeConfigProblem(model, loaded.config);
      if (problem) {
        await loaded.pipeline.dispose();
        throw new Error(problem);
      }
      await this.unload();
      this.#held = { judge: { model, runtime: `${loaded.device}, ${loaded.dtype}` }, classifier: loaded.pipeline };
      return this.#held.judge;
    } finally {
      if (this.#loading === loading) this.#loading = undefined;
    }
  }

  cancelLoad(): void {
    this.#loading?.abort();
  }

  async unload(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    await held?.classifier.dispose();
  }

  /** The judge's reward of each item, in order. */
  async score(
    items: readonly ScoreItem[],
    onProgress?: (done: number, total: number) => void,
    shouldStop?: () => boolean,
  ): Promise<number[]> {
    const held = this.#held;
    if (!held) throw new Error('no judge is loaded: pick one first');
    const { tokenizer, model } = held.classifier;
    const rewards: number[] = [];
    for (let start = 0; start < items.length; start += JUDGE_BATCH) {
      await nextTask(); // a Cancel sent meanwhile is heard (ONNX Runtime's WASM run never yields)
      if (shouldStop?.()) throw new ScoringCancelled();
      const batch = items.slice(start, start + JUDGE_BATCH);
      const inputs = tokenizer(
        batch.map((it) => it.prompt),
        { text_pair: batch.map((it) => it.response), padding: true, truncation: true },
      );
      const { logits } = (await model(inputs)) as { logits: { data: Float32Array; dims: number[]; dispose(): void } };
      if (logits.dims.at(-1) !== 1)
        throw new Error(`${held.judge.model} gives ${logits.dims.at(-1)} scores per response, not one`);
      rewards.push(...Array.from(logits.data));
      logits.dispose();
      onProgress?.(start + batch.length, items.length);
    }
    return rewards;
  }
}
