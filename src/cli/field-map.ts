// --map: the app's field mapping (src/core/data/formats/mapping.ts) written on the command line, or
// read from a JSON file, so any layout of preference data trains and evaluates headless.
//
//   --map prompt=input,a=output_1,b=output_2,label=label:1=a,2=b
//
// Entries are role=field, separated by commas. Roles: prompt (several fields joined: prompt=f1+f2), a,
// b, label, model_a, model_b, annotator, task_type, timestamp, margin. The label is one of
//   label=<field>:<value>=a|b|tie|both_bad,...   (several values may share a meaning)
//   label=chosen-rejected                        (a is always the chosen response)
//   label=scores:<field of a>+<field of b>       (the higher score wins, equal is a tie)
// A value that names a file (ending in .json, or after an @) is read as the mapping JSON the app
// keeps ({"prompt": ..., "responseA": ..., "responseB": ..., "label": {...}}).
import { readFileSync } from 'node:fs';
import { mappingProblems, type FieldMapping, type LabelMapping } from '../core/data/formats/mapping.ts';
import { UsageError } from './options.ts';

export const MAP_HELP =
  'Read records through a field mapping, for a layout RM Lab does not recognise: ' +
  'role=field entries separated by commas, e.g. prompt=input,a=output_1,b=output_2,label=label:1=a,2=b ' +
  '(roles: prompt, a, b, label, model_a, model_b, annotator, task_type, timestamp, margin; prompt=f1+f2 joins ' +
  'fields; label=chosen-rejected when a is always chosen; label=scores:fa+fb for ratings), or a mapping JSON file.';

const OPTIONAL_ROLES = {
  model_a: 'modelA',
  model_b: 'modelB',
  annotator: 'annotatorId',
  task_type: 'taskType',
  timestamp: 'timestamp',
  margin: 'margin',
} as const;
const ROLES = new Set(['prompt', 'a', 'b', 'label', ...Object.keys(OPTIONAL_ROLES)]);
const MEANINGS = { a: 'a', b: 'b', tie: 'tie', both_bad: 'bothBad' } as const;

/** The mapping of a --map value; a UsageError names the entry that is wrong. */
export function parseFieldMap(text: string): FieldMapping {
  const trimmed = text.trim();
  if (trimmed.startsWith('@') || trimmed.endsWith('.json')) return readMappingFile(trimmed.replace(/^@/, ''));
  const fields: Partial<Record<string, string>> = {};
  let prompt: string[] | undefined;
  let label: LabelMapping | undefined;
  let valueLabel: { field: string; a: string[]; b: string[]; tie: string[]; bothBad: string[] } | undefined;
  for (const entry of trimmed.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const role = eq < 0 ? '' : entry.slice(0, eq).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!ROLES.has(role)) {
      // "2=b" after label=field:1=a is one more label value
      if (valueLabel && eq > 0) {
        addLabelValue(valueLabel, role, value);
        continue;
      }
      throw new UsageError(
        `--map: "${entry}" is not role=field (roles: ${[...ROLES].join(', ')}; label values follow label=<field>:)`,
      );
    }
    if (value === '') throw new UsageError(`--map: ${role}= needs a field name`);
    if (role === 'prompt') prompt = value.split('+').map((f) => f.trim());
    else if (role === 'label') {
      valueLabel = undefined;
      if (value === 'chosen-rejected') label = { kind: 'chosen-rejected' };
      else if (value.startsWith('scores:')) {
        const [a, b, ...more] = value.slice('scores:'.length).split('+');
        if (!a || !b || more.length > 0) throw new UsageError(`--map: label=scores: needs two fields, as scores:fa+fb`);
        label = { kind: 'scores', a: a.trim(), b: b.trim() };
      } else {
        const colon = value.indexOf(':');
        if (colon <= 0)
          throw new UsageError(
            `--map: label=${value} says which field, not what its values mean: label=${value}:1=a,2=b`,
          );
        valueLabel = { field: value.slice(0, colon).trim(), a: [], b: [], tie: [], bothBad: [] };
        const first = value.slice(colon + 1);
        const [v, meaning] = first.split('=');
        addLabelValue(valueLabel, (v ?? '').trim(), (meaning ?? '').trim());
        label = valueLabel;
      }
    } else {
      valueLabel = undefined;
      if (fields[role] !== undefined) throw new UsageError(`--map: ${role} is given twice`);
      fields[role] = value;
    }
  }
  if (!fields.a || !fields.b) throw new UsageError('--map must name both responses: a=<field>,b=<field>');
  if (!label)
    throw new UsageError('--map must say who won: label=<field>:<value>=a,<value>=b (or label=chosen-rejected)');
  const mapping: FieldMapping = { responseA: fields.a, responseB: fields.b, label };
  if (prompt) mapping.prompt = prompt.length === 1 ? prompt[0]! : prompt;
  for (const [role, key] of Object.entries(OPTIONAL_ROLES)) if (fields[role]) mapping[key] = fields[role];
  return checked(mapping);
}

function addLabelValue(
  label: { a: string[]; b: string[]; tie: string[]; bothBad: string[] },
  value: string,
  meaning: string,
): void {
  const key = MEANINGS[meaning as keyof typeof MEANINGS];
  if (value === '' || !key)
    throw new UsageError(`--map: label value "${value}=${meaning}" must mean a, b, tie or both_bad`);
  label[key].push(value);
}

function checked(mapping: FieldMapping): FieldMapping {
  const problems = mappingProblems(mapping);
  if (problems.length > 0) throw new UsageError(`--map: ${problems.join('; ')}`);
  return mapping;
}

function readMappingFile(path: string): FieldMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--map ${path}: ${(error as Error).message}`);
  }
  const m = raw as Partial<FieldMapping> | null;
  if (typeof m !== 'object' || m === null || typeof m.responseA !== 'string' || typeof m.responseB !== 'string')
    throw new UsageError(`--map ${path}: a mapping needs "responseA" and "responseB" field names`);
  const label = m.label as Record<string, unknown> | undefined;
  const okLabel =
    typeof label === 'object' &&
    label !== null &&
    ((typeof label.field === 'string' && Array.isArray(label.a) && Array.isArray(label.b)) ||
      label.kind === 'chosen-rejected' ||
      (label.kind === 'scores' && typeof label.a === 'string' && typeof label.b === 'string'));
  if (!okLabel)
    throw new UsageError(
      `--map ${path}: "label" must be {"field", "a": [...], "b": [...]}, {"kind": "chosen-rejected"} or {"kind": "scores", "a", "b"}`,
    );
  return checked(m as FieldMapping);
}
