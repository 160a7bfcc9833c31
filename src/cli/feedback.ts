// `rmlab feedback`: a feedback log in (RM Lab's event log, Open WebUI's feedback export, or any
// CSV/JSONL log with --log-map), weighted preference pairs out. Writes the pairs as RM Lab records with
// their weight and provenance (the file `rmlab train --data` and the app import), and a report: per
// rule the pairs it made, every event that made none with why, and the coarse analysis (thumbs-down
// rates, negative prompts, implicit win rates). stdout carries the report as one JSON object;
// stderr what a person reads.
import { writeFileSync } from 'node:fs';
import { exportJsonl } from '../core/data/export.ts';
import { PAIR_RULES } from '../core/data/implicit/derive.ts';
import { describeRejected, readPairFile } from './data-file.ts';
import { FEEDBACK_OPTIONS, feedbackChoices } from './feedback-options.ts';
import { helpText, parseCommand, UsageError, type CommandOption } from './options.ts';

const OPTIONS: CommandOption[] = [
  {
    name: 'data',
    value: '<file>',
    help: "A feedback log: RM Lab's event log or Open WebUI's feedback export (JSONL, JSON, CSV or TSV, gzipped or not).",
    required: true,
  },
  {
    name: 'out',
    value: '<file.jsonl>',
    help: 'Where to write the pairs (RM Lab records with weight and provenance).',
    required: true,
  },
  { name: 'report', value: '<file.json>', help: 'Where to write the full report, every unpaired event included.' },
  ...FEEDBACK_OPTIONS,
];

export const FEEDBACK_USAGE =
  'rmlab feedback --data <log> --out <pairs.jsonl> [--report <file>] [--rules ...] [--user-ids hash]';

export function feedbackHelp(): string {
  return helpText(
    FEEDBACK_USAGE,
    'Turns a log of what users did with responses (thumbs, ratings, copies, edits, regenerations, follow-ups) into ' +
      `weighted preference pairs by documented rules (${PAIR_RULES.map((r) => `${r.id}: ${r.help}`).join(' ')}) ` +
      'and reports, per rule, the pairs made and, for every event that made none, why.',
    OPTIONS,
    false,
  );
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

export async function feedback(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, false);
  if (parsed.help) {
    process.stdout.write(feedbackHelp());
    return 0;
  }
  const path = parsed.values.data!;
  const choices = feedbackChoices(parsed.values);
  const file = await readPairFile(path, { feedback: choices });
  if (file.feedback === undefined) {
    throw new UsageError(`${path} holds preference pairs, not feedback events: give it to rmlab train --data as it is`);
  }
  const { report, analysis } = file.feedback;
  writeFileSync(parsed.values.out!, exportJsonl(file.pairs, 'rmlab').text);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`${path}: ${file.lines} records -> ${report.events} events, ${file.rejected.length} rejected`);
  if (file.rejected.length > 0) log(describeRejected(file.rejected).join('\n'));
  log(
    `${report.events} events -> ${report.pairs} pairs (${parsed.values.out}); ${report.unpaired.length} events made none`,
  );
  for (const r of report.rules) {
    log(
      `  ${r.rule}: ${r.on ? `weight ${r.weight}, ${r.events} events read, ${r.pairs} pairs` : 'off'}` +
        (r.shared ? `, ${r.shared} also made by an earlier rule` : '') +
        (r.conflicting ? `, ${r.conflicting} contradicted (dropped)` : ''),
    );
  }
  for (const r of report.reasons.slice(0, 8)) log(`  no pair (${r.count}): ${r.reason}`);
  if (analysis.overall) {
    log(`thumbs down: ${analysis.overall.downs} of ${analysis.thumbs} (${pct(analysis.overall.rate)})`);
    for (const v of analysis.byModelVersion) {
      log(`  ${v.key}: ${pct(v.rate)} of ${v.ups + v.downs} (95% ${pct(v.lower)}-${pct(v.upper)})`);
    }
  }
  for (const w of analysis.winRates)
    log(`users prefer ${w.x} over ${w.y} in ${w.wins} of ${w.n} pairs (${pct(w.rate)})`);
  if (parsed.values.report !== undefined)
    writeFileSync(parsed.values.report, JSON.stringify(file.feedback, null, 2) + '\n');
  const { unpaired: _unpaired, ...counts } = report;
  process.stdout.write(
    JSON.stringify({
      type: 'feedback',
      file: file.name,
      records: file.lines,
      rejected: file.rejected.length,
      ...counts,
      analysis,
    }) + '\n',
  );
  return 0;
}
