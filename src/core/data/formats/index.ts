// The input formats RM Lab reads. Adding one is a file that turns a record into a PairInput and a
// row in FORMATS; detection, the import's reasons, how CSV cells are read and the UI's list of
// expected fields come from the row. A format the user describes with a field mapping becomes a
// row of the same shape at run time (mappingFormat).

import type { PairInput } from '../pair.ts';
import { FormatError } from './format-error.ts';
import { type JsonRecord, expectRecord, isMessageList, isRecord } from './fields.ts';
import { ARENA55K_OPTIONAL_FIELDS, ARENA55K_REQUIRED_FIELDS, arena55kToPair } from './arena-55k.ts';
import { ARENA_OPTIONAL_FIELDS, ARENA_REQUIRED_FIELDS, arenaToPair } from './chatbot-arena.ts';
import { HH_OPTIONAL_FIELDS, HH_REQUIRED_FIELDS, hhToPair, looksLikeHh } from './hh-rlhf.ts';
import { type FieldMapping, fitsMapping, mappedFields, mappedToPair, requiredFields } from './mapping.ts';
import { SHP_OPTIONAL_FIELDS, SHP_REQUIRED_FIELDS, shpToPair } from './shp.ts';
import { ULTRAFEEDBACK_OPTIONAL_FIELDS, ULTRAFEEDBACK_REQUIRED_FIELDS, ultrafeedbackToPair } from './ultrafeedback.ts';
import { PANDALM_OPTIONAL_FIELDS, PANDALM_REQUIRED_FIELDS, pandalmToPair } from './pandalm.ts';
import { RMLAB_OPTIONAL_FIELDS, RMLAB_REQUIRED_FIELDS, rmlabToPair } from './rmlab.ts';
import { TRL_OPTIONAL_FIELDS, TRL_REQUIRED_FIELDS, trlToPair } from './trl.ts';

export { FormatError } from './format-error.ts';
export type { FieldMapping, LabelMapping } from './mapping.ts';
export { mappingProblems } from './mapping.ts';

/** How a CSV or TSV cell of a field is read: every cell is text, but some fields hold other values. */
export type CellKind =
  /** A JSON list of {role, content} messages becomes that list; any other text stays text. */
  | 'messages'
  /** JSON (a list, an object, true): parsed when it parses, kept as text (for the adapter to reject) when not. */
  | 'json'
  /** A number, when the cell is one. */
  | 'number';

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
   * Whether a record is in this format: a rule over its field names, and over their values where
   * names alone are ambiguous (HH-RLHF and TRL both have chosen + rejected strings; HH's are
   * transcripts). Rows are tried in order and the first rule that holds wins, so a format whose
   * fields contain another's comes first: arena-55k before RM Lab, HH-RLHF and UltraFeedback
   * before TRL.
   */
  readonly detect: (record: JsonRecord) => boolean;
  /** Fields whose CSV/TSV cells hold numbers or JSON; the others are read as the text they are. */
  readonly cells?: Readonly<Record<string, CellKind>>;
  readonly toPair: (record: JsonRecord) => PairInput;
}

/** A detection rule: the record has all these fields (its own, not inherited ones). */
export function hasFields(...fields: string[]): (record: JsonRecord) => boolean {
  return (record) => fields.every((field) => Object.hasOwn(record, field));
}

export const FORMATS = [
  {
    id: 'arena-55k',
    label: 'Arena human preference 55k',
    description: 'LMSYS Arena human preference 55k (Kaggle): JSON lists of turns and three 0/1 winner columns',
    fields: ARENA55K_REQUIRED_FIELDS,
    optionalFields: ARENA55K_OPTIONAL_FIELDS,
    detect: hasFields('response_a', 'response_b', 'winner_model_a'),
    cells: { id: 'number', winner_model_a: 'number', winner_model_b: 'number', winner_tie: 'number' },
    toPair: arena55kToPair,
  },
  {
    id: 'rmlab',
    label: 'RM Lab',
    description: "RM Lab's own record: two responses to a prompt and which one won",
    fields: RMLAB_REQUIRED_FIELDS,
    optionalFields: RMLAB_OPTIONAL_FIELDS,
    detect: hasFields('response_a', 'response_b'),
    cells: {
      prompt: 'messages',
      response_a: 'messages',
      response_b: 'messages',
      margin: 'number',
      votes: 'json',
      weight: 'number',
      provenance: 'json',
    },
    toPair: rmlabToPair,
  },
  {
    id: 'hh-rlhf',
    label: 'Anthropic HH-RLHF',
    description: 'Anthropic HH-RLHF: chosen and rejected "Human: / Assistant:" transcripts',
    fields: HH_REQUIRED_FIELDS,
    optionalFields: HH_OPTIONAL_FIELDS,
    detect: looksLikeHh,
    toPair: hhToPair,
  },
  {
    id: 'ultrafeedback',
    label: 'UltraFeedback',
    description: 'UltraFeedback binarized: chosen and rejected conversations with their scores',
    fields: ULTRAFEEDBACK_REQUIRED_FIELDS,
    optionalFields: ULTRAFEEDBACK_OPTIONAL_FIELDS,
    detect: hasFields('chosen', 'rejected', 'score_chosen', 'score_rejected'),
    cells: { chosen: 'json', rejected: 'json', messages: 'json', score_chosen: 'number', score_rejected: 'number' },
    toPair: ultrafeedbackToPair,
  },
  {
    id: 'trl',
    label: 'TRL',
    description: 'Hugging Face TRL preference data: chosen and rejected, as text or as chat messages',
    fields: TRL_REQUIRED_FIELDS,
    optionalFields: TRL_OPTIONAL_FIELDS,
    detect: hasFields('chosen', 'rejected'),
    cells: { prompt: 'messages', chosen: 'messages', rejected: 'messages', margin: 'number' },
    toPair: trlToPair,
  },
  {
    id: 'shp',
    label: 'Stanford SHP',
    description: 'Stanford Human Preferences: a Reddit post, two comments and which one people preferred',
    fields: SHP_REQUIRED_FIELDS,
    optionalFields: SHP_OPTIONAL_FIELDS,
    detect: hasFields('history', 'human_ref_A', 'human_ref_B'),
    cells: {
      labels: 'number',
      score_A: 'number',
      score_B: 'number',
      upvote_ratio: 'number',
      created_at_utc_A: 'number',
      created_at_utc_B: 'number',
      seconds_difference: 'number',
      score_ratio: 'number',
    },
    toPair: shpToPair,
  },
  {
    id: 'chatbot-arena',
    label: 'Chatbot Arena',
    description: 'Chatbot Arena conversations: two models chat with one user, who picks the better',
    fields: ARENA_REQUIRED_FIELDS,
    optionalFields: ARENA_OPTIONAL_FIELDS,
    detect: hasFields('conversation_a', 'conversation_b'),
    cells: {
      conversation_a: 'json',
      conversation_b: 'json',
      turn: 'number',
      tstamp: 'number',
      anony: 'json',
      openai_moderation: 'json',
      toxic_chat_tag: 'json',
    },
    toPair: arenaToPair,
  },
  {
    id: 'pandalm',
    label: 'PandaLM',
    description: 'PandaLM comparisons: two models answer an instruction, three annotators judge',
    fields: PANDALM_REQUIRED_FIELDS,
    optionalFields: PANDALM_OPTIONAL_FIELDS,
    detect: hasFields('instruction', 'response1', 'response2'),
    cells: { idx: 'number' },
    toPair: pandalmToPair,
  },
] as const satisfies readonly FormatSpec[];

export type FormatId = (typeof FORMATS)[number]['id'];

export function formatById(id: FormatId): FormatSpec {
  const spec = FORMATS.find((f) => f.id === id);
  if (spec === undefined) throw new Error(`unknown format id ${id}`);
  return spec;
}

/** The format a parsed JSON value looks like (the first row whose rule holds); undefined for none. */
export function detectFormat(record: unknown): FormatId | undefined {
  if (!isRecord(record)) return undefined;
  return FORMATS.find((f) => f.detect(record))?.id;
}

/** Every format whose rule holds for the value, in table order: what the UI can offer as an override. */
export function candidateFormats(record: unknown): FormatId[] {
  if (!isRecord(record)) return [];
  return FORMATS.filter((f) => f.detect(record)).map((f) => f.id);
}

/** The id a format made from the user's field mapping has. */
export const CUSTOM_FORMAT = 'custom';

/** A format adapter made at run time from the user's field mapping. */
export function mappingFormat(mapping: FieldMapping): FormatSpec {
  const cells: Record<string, CellKind> = {};
  for (const field of typeof mapping.prompt === 'string' ? [mapping.prompt] : (mapping.prompt ?? [])) {
    cells[field] = 'messages';
  }
  cells[mapping.responseA] = 'messages';
  cells[mapping.responseB] = 'messages';
  if (mapping.margin !== undefined) cells[mapping.margin] = 'number';
  if ('kind' in mapping.label && mapping.label.kind === 'scores') {
    cells[mapping.label.a] = 'number';
    cells[mapping.label.b] = 'number';
  }
  return {
    id: CUSTOM_FORMAT,
    label: 'your field mapping',
    description: 'The fields you chose for the prompt, the responses and the label',
    fields: requiredFields(mapping),
    optionalFields: mappedFields(mapping).filter((f) => !requiredFields(mapping).includes(f)),
    detect: (record) => fitsMapping(record, mapping),
    cells,
    toPair: (record) => mappedToPair(record, mapping),
  };
}

const NUMBER = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/**
 * A CSV/TSV record's cells, read as the format's `cells` table says (numbers and JSON out of
 * their text). An empty cell of a number or JSON field is null, i.e. absent; text fields keep
 * their text, empty or not. A cell that does not read as its kind stays text, so that the adapter
 * names the field in its reason.
 */
export function readCells(record: JsonRecord, spec: Pick<FormatSpec, 'cells'>): JsonRecord {
  const cells = spec.cells;
  if (cells === undefined) return record;
  const out = Object.fromEntries(Object.entries(record));
  for (const [field, kind] of Object.entries(cells)) {
    const cell = out[field];
    if (typeof cell !== 'string') continue;
    const blank = cell.trim() === '';
    if (kind === 'number') {
      if (blank) out[field] = null;
      else if (NUMBER.test(cell)) out[field] = Number(cell);
      continue;
    }
    if (kind === 'json' && blank) {
      out[field] = null;
      continue;
    }
    if (kind === 'messages' && !cell.trimStart().startsWith('[')) continue;
    let value: unknown;
    try {
      value = JSON.parse(cell);
    } catch {
      continue;
    }
    if (kind === 'json' || isMessageList(value)) out[field] = value;
  }
  return out;
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
