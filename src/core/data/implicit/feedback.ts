// A feedback log, whole: records -> events (and rejected lines) -> user ids protected -> pairs by the
// rules -> the report and the analysis. The rules compare events across the whole log (a thumbs-up
// on Monday pairs with a thumbs-down on Friday), so the events are all read before any pair is made;
// the records still stream, and each is accounted for as its events or a rejected line.
import type { PairInput, RejectedLine } from '../pair.ts';
import type { RecordLine } from '../records.ts';
import { type ImplicitAnalysis, analyseFeedback } from './analysis.ts';
import { type ImplicitReport, type RuleSettings, defaultRuleSettings, derivePairs } from './derive.ts';
import type { FeedbackEvent } from './events.ts';
import { type UserIdPolicy, UserIdProtector } from './privacy.ts';
import { type EventFormat, type EventMapping, readEvents } from './read.ts';

export interface FeedbackOptions {
  format?: EventFormat;
  mapping?: EventMapping;
  rules?: RuleSettings;
  userIds?: UserIdPolicy;
  /** Called after each record, e.g. to report progress or to stop (throw) on cancel. */
  onRecord?: (counts: { records: number; events: number; rejected: number }) => void;
}

export interface FeedbackLog {
  format?: EventFormat | 'custom';
  /** Records read: each one is `events` or a rejected line. */
  records: number;
  events: FeedbackEvent[];
  rejected: RejectedLine[];
}

export async function readFeedbackLog(
  records: AsyncIterable<RecordLine> | Iterable<RecordLine>,
  options: FeedbackOptions = {},
): Promise<FeedbackLog> {
  const log: FeedbackLog = { records: 0, events: [], rejected: [] };
  const protector = new UserIdProtector(options.userIds ?? 'keep');
  for await (const line of readEvents(records, options)) {
    log.records++;
    if (line.kind === 'rejected') log.rejected.push(line.rejected);
    else {
      log.format ??= line.format;
      // Protected as they are read: a kept raw id never reaches the store, the report or the pairs.
      for (const e of await protector.apply(line.events)) log.events.push(e);
    }
    options.onRecord?.({ records: log.records, events: log.events.length, rejected: log.rejected.length });
  }
  return log;
}

/** What an event-log dataset keeps beside its pairs: how they were made and what the log says. */
export interface FeedbackSummary {
  format?: EventFormat | 'custom';
  settings: RuleSettings;
  userIds: UserIdPolicy;
  /** The report without its list of unpaired events (stored apart, as rejected lines are). */
  report: Omit<ImplicitReport, 'unpaired'>;
  analysis: ImplicitAnalysis;
}

export interface FeedbackPairs {
  pairs: PairInput[];
  report: ImplicitReport;
  summary: FeedbackSummary;
}

export function feedbackPairs(
  log: FeedbackLog,
  settings: RuleSettings = defaultRuleSettings(),
  userIds: UserIdPolicy = 'keep',
): FeedbackPairs {
  const { pairs, report } = derivePairs(log.events, settings);
  const { unpaired: _listedApart, ...counts } = report;
  return {
    pairs,
    report,
    summary: {
      ...(log.format !== undefined ? { format: log.format } : {}),
      settings,
      userIds,
      report: counts,
      analysis: analyseFeedback(log.events, pairs, settings.promptMatch),
    },
  };
}
