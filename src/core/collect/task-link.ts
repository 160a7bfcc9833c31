// The workshop link: a labelling task in a URL, so each participant labels on their own device and
// exports a labels file for the instructor to merge. The hash carries the project's name, options,
// guidelines and candidates (inline, compressed like an inline dataset, or by URL):
//   #label-task=<deflate-raw, base64url of the task's JSON>
// Nothing goes to a server: the hash never leaves the browser.
import { compressDataset, decompressDataset } from '../share/inline-dataset.ts';
import { httpUrl } from '../share/fetch-url.ts';
import type { GuidelineExample } from './guidelines.ts';
import { checkProjectOptions } from './project.ts';
import { STRATEGIES, type Strategy } from './queue.ts';

export const TASK_LINK_PARAM = 'label-task';

export interface LabelTask {
  name: string;
  seed: number;
  strategy: Strategy;
  overlapShare: number;
  updateEvery: number;
  /** The instructor's current guidelines, with their version number, so every participant's labels say the same version. */
  guidelines: { version?: number; text: string; examples: GuidelineExample[] };
  /** Candidates file text (JSONL), or its http(s) address. */
  candidates: { inline: string } | { url: string };
}

export async function encodeTaskLink(task: LabelTask): Promise<string> {
  return `${TASK_LINK_PARAM}=${await compressDataset(JSON.stringify(task))}`;
}

/** The task in a location hash, or undefined when the hash holds none; plain errors for a bad one. */
export async function decodeTaskLink(hash: string): Promise<LabelTask | undefined> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const payload = params.get(TASK_LINK_PARAM);
  if (payload === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await decompressDataset(payload));
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error("the labelling link's task is not valid JSON", { cause: error });
    throw error;
  }
  return checkTask(value);
}

function checkTask(value: unknown): LabelTask {
  const fail = (field: string, why: string): never => {
    throw new Error(`the labelling link's "${field}" ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('task', 'is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name.trim() === '') fail('name', 'must be a non-empty string');
  if (typeof v.seed !== 'number' || !Number.isInteger(v.seed)) fail('seed', 'must be a whole number');
  if (!STRATEGIES.includes(v.strategy as Strategy)) fail('strategy', `must be one of ${STRATEGIES.join(', ')}`);
  if (typeof v.overlapShare !== 'number' || typeof v.updateEvery !== 'number') {
    fail('overlapShare', 'and "updateEvery" must be numbers');
  }
  try {
    checkProjectOptions({ overlapShare: v.overlapShare as number, updateEvery: v.updateEvery as number });
  } catch (error) {
    fail('options', `are out of range: ${(error as Error).message}`);
  }
  const g = v.guidelines as Record<string, unknown> | undefined;
  if (typeof g !== 'object' || g === null || typeof g.text !== 'string' || !Array.isArray(g.examples)) {
    fail('guidelines', 'must have "text" and a list of "examples"');
  }
  if (g!.version !== undefined && !(Number.isInteger(g!.version) && (g!.version as number) >= 1)) {
    fail('guidelines.version', 'must be a whole number from 1');
  }
  for (const [i, e] of (g!.examples as unknown[]).entries()) {
    const ex = e as Record<string, unknown>;
    if (!['prompt', 'better', 'worse', 'why'].every((k) => typeof ex?.[k] === 'string')) {
      fail(`guidelines.examples[${i}]`, 'must have "prompt", "better", "worse" and "why" as text');
    }
  }
  const c = v.candidates as Record<string, unknown> | undefined;
  if (typeof c?.inline === 'string') {
    // inline JSONL: read later by readCandidates, line by line
  } else if (typeof c?.url === 'string') {
    httpUrl(c.url, "labelling link's candidates");
  } else {
    fail('candidates', 'must be {"inline": "<JSONL>"} or {"url": "https://..."}');
  }
  return value as LabelTask;
}
