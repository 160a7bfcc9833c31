// The input formats RM Lab reads. Adding one is a file that turns a record into a PairInput and a
// row in FORMATS; detection, the import's reasons and the UI's list of expected fields come from the row.

import type { PairInput } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, expectRecord, isRecord } from './fields.ts';
import { PANDALM_OPTIONAL_FIELDS, PANDALM_REQUIRED_FIELDS, pandalmToPair } from './pandalm.ts';
import { RMLAB_OPTIONAL_FIELDS, RMLAB_REQUIRED_FIELDS, rmlabToPair } from './rmlab.ts';
import { TRL_OPTIONAL_FIELDS, TRL_REQUIRED_FIELDS, trlToPair } from './trl.ts';

export { FormatError } from './format-error.ts';

export interface FormatSpec {
  readonly id: string;
  /** The format's short name, as reasons and the UI name it. */
  readonly label: string;
  /** One line for the UI: where such files come from. */
  readonly description: string;
  /** The fields a record must have, as the UI lists them when a line is not recognised. */
  readonly fields: readonly string[];
  readonly optionalFields: readonly string[];
  /**
   * The fields whose presence identifies the format. Rows are tried in order, so a format whose
   * signature contains another's must come first.
   */
  readonly signature: readonly string[];
  readonly toPair: (record: JsonRecord) => PairInput;
}

export const FORMATS = [
  {
    id: 'rmlab',
    label: 'RM Lab',
    description: "RM Lab's own record: two responses to a prompt and which one won",
    fields: RMLAB_REQUIRED_FIELDS,
    optionalFields: RMLAB_OPTIONAL_FIELDS,
    signature: ['response_a', 'response_b'],
    toPair: rmlabToPair,
  },
  {
    id: 'trl',
    label: 'TRL',
    description: 'Hugging Face TRL preference data: chosen and rejected, as text or as chat messages',
    fields: TRL_REQUIRED_FIELDS,
    optionalFields: TRL_OPTIONAL_FIELDS,
    signature: ['chosen', 'rejected'],
    toPair: trlToPair,
  },
  {
    id: 'pandalm',
    label: 'PandaLM',
    description: 'PandaLM comparisons: two models answer an instruction, three annotators judge',
    fields: PANDALM_REQUIRED_FIELDS,
    optionalFields: PANDALM_OPTIONAL_FIELDS,
    signature: ['instruction', 'response1', 'response2'],
    toPair: pandalmToPair,
  },
] as const satisfies readonly FormatSpec[];

export type FormatId = (typeof FORMATS)[number]['id'];

export function formatById(id: FormatId): FormatSpec {
  const spec = FORMATS.find((f) => f.id === id);
  if (spec === undefined) throw new Error(`unknown format id ${id}`);
  return spec;
}

/** The format a parsed JSON value looks like, by which fields it has; undefined for none. */
export function detectFormat(record: unknown): FormatId | undefined {
  if (!isRecord(record)) return undefined;
  return FORMATS.find((f) => f.signature.every((field) => Object.hasOwn(record, field)))?.id;
}

/** The reason given for a record that matches no format. */
export function unknownRecordReason(): string {
  const described = FORMATS.map((f) => `${f.label} (${f.fields.join(', ')})`);
  const list = described.length > 1 ? `${described.slice(0, -1).join(', ')} or ${described.at(-1)}` : described[0];
  return `unknown record: expected the fields of ${list}`;
}

/** Turns a parsed JSON value into a pair, in the given format or the one it looks like; throws FormatError. */
export function toPair(record: unknown, format?: FormatId): PairInput {
  const object = expectRecord(record);
  const id = format ?? detectFormat(object);
  if (id === undefined) throw new FormatError(unknownRecordReason());
  return formatById(id).toPair(object);
}
