// Batch scoring of a JSONL file in the worker: the rows stream in, are scored a chunk at a time by the
// picked model (and, where one is picked, by a reference judge beside it), and go out as JSONL (each row
// with "reward(s)" and "judge_reward(s)" added) and as CSV (a line per response). Progress is the share
// of the file read, moving inside a chunk while the model and then the judge score it; Cancel is heard
// between batches of either.
import { readLines } from '../core/data/jsonl.ts';
import { nextTask } from '../core/next-task.ts';
import type { RejectedLine } from '../core/data/pair.ts';
import { batchAgreement, type BatchAgreement } from '../core/eval/judge-agreement.ts';
import type { ScoreItem } from '../core/eval/score.ts';
import {
  parseScoreRow,
  scoredCsvHeader,
  scoredCsvLines,
  scoredRecord,
  type ScoreRow,
} from '../core/eval/score-rows.ts';

/** Responses scored per read-back: bounds memory, and progress moves. A judge (often large) gets smaller chunks. */
const RESPONSES_PER_CHUNK = 512;
const RESPONSES_PER_JUDGED_CHUNK = 64;
/** Scored rows kept for the preview; rejected lines kept to show (all are counted). */
const PREVIEW_ROWS = 20;
export const REJECTED_KEPT = 1000;

export interface ScoreProgress {
  /** What is being done now, in words ("scoring", "reading"). */
  phase: string;
  done: number;
  /** Undefined while unknown. */
  total?: number;
}

type Scorer = (
  items: ScoreItem[],
  onProgress: (done: number, total: number) => void,
  shouldStop: () => boolean,
) => Promise<number[]>;

/** A reference judge scoring beside the model (judge-session.ts through the worker's api). */
export interface ReferenceJudge {
  model: string;
  score: Scorer;
}

export interface BatchScoreResult {
  /** The scored rows as JSONL: each input row with "reward" or "rewards" added (and the judge's). */
  file: Blob;
  /** The same as CSV, one line per response (SCORED_CSV_COLUMNS). */
  csv: Blob;
  rows: number;
  responses: number;
  /** The first scored rows, as written to the file. */
  preview: Record<string, unknown>[];
  /** Every reward, in file order (for the histogram). */
  rewards: number[];
  /** The reference judge's rewards (same order) and its agreement with the model, when one scored. */
  judge?: { model: string; rewards: number[]; agreement: BatchAgreement };
  rejected: RejectedLine[];
  rejectedCount: number;
  seconds: number;
}

/** The scored output as it grows, chunk by chunk. */
class ScoredOutput {
  jsonl: string[] = [];
  csv: string[] = [scoredCsvHeader()];
  preview: Record<string, unknown>[] = [];
  rewards: number[] = [];
  judgeRewards: number[] = [];
  perRow: { model: number[]; judge: number[] }[] = [];
  rows = 0;

  add(row: ScoreRow, rewards: number[], judgeRewards: number[] | undefined): void {
    const out = scoredRecord(row, rewards, judgeRewards);
    this.jsonl.push(JSON.stringify(out) + '\n');
    this.csv.push(scoredCsvLines(row, rewards, judgeRewards));
    if (this.preview.length < PREVIEW_ROWS) this.preview.push(out);
    this.rewards.push(...rewards);
    if (judgeRewards) {
      this.judgeRewards.push(...judgeRewards);
      this.perRow.push({ model: rewards, judge: judgeRewards });
    }
    this.rows++;
  }
}

/** Streams `file`, scoring each chunk of rows with `score` (and the judge's scorer), and returns the scored output. */
export async function scoreFile(
  file: Blob,
  score: Scorer,
  judge: ReferenceJudge | undefined,
  onProgress: (p: ScoreProgress) => void,
  shouldStop: () => boolean,
): Promise<BatchScoreResult> {
  const started = performance.now();
  const out = new ScoredOutput();
  const rejected: RejectedLine[] = [];
  let rejectedCount = 0;
  let bytesRead = 0;
  let bytesScored = 0;
  let chunk: ScoreRow[] = [];
  let chunkResponses = 0;
  const perChunk = judge ? RESPONSES_PER_JUDGED_CHUNK : RESPONSES_PER_CHUNK;
  const flush = async () => {
    const items = chunk.flatMap((row) => row.responses.map((response) => ({ prompt: row.prompt, response })));
    // Within the chunk the bar moves from the bytes scored before it to the bytes read, the model's
    // half first and the judge's second.
    const within = (phase: string, from: number, span: number) => (done: number, total: number) =>
      onProgress({
        phase,
        done: bytesScored + (bytesRead - bytesScored) * (from + (span * done) / total),
        total: file.size,
      });
    const share = judge ? 0.5 : 1;
    const rewards = await score(items, within('scoring', 0, share), shouldStop);
    const judged = judge
      ? await judge.score(items, within(`scoring with the reference judge ${judge.model}`, 0.5, 0.5), shouldStop)
      : undefined;
    let at = 0;
    for (const row of chunk) {
      const n = row.responses.length;
      out.add(row, rewards.slice(at, at + n), judged?.slice(at, at + n));
      at += n;
    }
    chunk = [];
    chunkResponses = 0;
    bytesScored = bytesRead;
    onProgress({ phase: 'scoring', done: bytesRead, total: file.size });
  };
  for await (const line of readLines(file.stream(), (n) => (bytesRead = n))) {
    if (chunk.length === 0) await nextTask(); // between chunks, a Cancel sent meanwhile is heard
    if (shouldStop()) throw new Error('scoring was cancelled');
    const parsed = parseScoreRow(line);
    if (!parsed.ok) {
      rejectedCount++;
      if (rejected.length < REJECTED_KEPT) rejected.push(parsed.rejected);
      continue;
    }
    chunk.push(parsed.row);
    chunkResponses += parsed.row.responses.length;
    if (chunkResponses >= perChunk) await flush();
  }
  if (chunk.length > 0) await flush();
  if (out.rows === 0) {
    throw Object.assign(new Error(describeEmpty(rejectedCount, 'prompt with a "response" or "responses"')), {
      rejected,
    });
  }
  return {
    file: new Blob(out.jsonl, { type: 'application/jsonl' }),
    csv: new Blob(out.csv, { type: 'text/csv' }),
    rows: out.rows,
    responses: out.rewards.length,
    preview: out.preview,
    rewards: out.rewards,
    ...(judge
      ? { judge: { model: judge.model, rewards: out.judgeRewards, agreement: batchAgreement(out.perRow) } }
      : {}),
    rejected,
    rejectedCount,
    seconds: (performance.now() - started) / 1000,
  };
}

export function describeEmpty(rejectedCount: number, wanted: string): string {
  return rejectedCount > 0
    ? `no line could be read: all ${rejectedCount} were rejected (each needs a ${wanted})`
    : `the file is empty: each line needs a ${wanted}`;
}
