// A LoRA reward model as a PEFT adapter folder, what `PeftModel.from_pretrained(base, folder)` reads:
//   adapter_config.json         peft_type LORA, r, lora_alpha, target_modules, task_type SEQ_CLS,
//                               modules_to_save (the family's head modules), base_model_name_or_path
//   adapter_model.safetensors   A and B of each adapted projection under PEFT's saved names,
//                               `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight`
//                               [out, r], and the head modules' tensors as get_peft_model_state_dict
//                               saves modules_to_save: `base_model.model.classifier.weight` (the
//                               `modules_to_save.default.` part stripped; PEFT puts it back on load)
//   README.md                   how to load it
// The base model's own weights are not in it: the adapter applies to the checkpoint training started
// from (spec.source). The merged alternative is the usual HF folder (hf-zip.ts, via mergeLora).
import { strToU8, zipSync } from 'fflate';
import { familyOf } from '../model/families/registry.ts';
import { loraHeadModules, loraTargets } from '../model/lora.ts';
import type { BertModelSpec, ModelSpec, NamedWeight } from '../model/reward-model.ts';
import { writeSafetensors } from '../model/safetensors.ts';
import { transposed } from '../model/lora-merge.ts';

const PEFT_PREFIX = 'base_model.model.';

/** One adapter tensor's two names: RM Lab's and PEFT's, and whether it is stored transposed. */
interface AdapterRow {
  name: string;
  peftName: string;
  transpose: boolean;
}

/** Every tensor of the adapter file, in order: each projection's A and B, then the head modules. */
function adapterRows(spec: BertModelSpec): AdapterRow[] {
  const rows: AdapterRow[] = [];
  for (const p of loraTargets(spec)) {
    rows.push({ name: `${p.linear}.lora_A`, peftName: `${PEFT_PREFIX}${p.module}.lora_A.weight`, transpose: true });
    rows.push({ name: `${p.linear}.lora_B`, peftName: `${PEFT_PREFIX}${p.module}.lora_B.weight`, transpose: true });
  }
  const family = familyOf(spec.bert);
  for (const row of family.table(spec.bert, spec.pooling).filter((r) => r.part === 'head')) {
    rows.push({ name: row.name, peftName: `${PEFT_PREFIX}${row.hfName}`, transpose: row.transpose });
  }
  return rows;
}

/** Why a model has no PEFT adapter, or undefined when it has one. */
export function peftRefusal(spec: ModelSpec): string | undefined {
  if (spec.encoder !== 'bert') {
    return 'only a Hugging Face model trained with LoRA exports as a PEFT adapter (the built-in encoder has no base checkpoint to apply it to)';
  }
  if (!spec.lora) return 'this model was trained without LoRA, so it has no adapter: export the Hugging Face folder';
  if (spec.length === 'term' || spec.length === 'odin') {
    return "this model's reward has a length term, which a PEFT adapter has no place for; export RM Lab's model file instead";
  }
  const own = familyOf(spec.bert).exportConfig(spec.bert, spec.pooling);
  if ('refused' in own) return `${own.refused}; export RM Lab's model file instead`;
  return undefined;
}

/** The model's adapter and head weights (RM Lab's names) -> the adapter file's tensors under PEFT's names. */
export function peftAdapterTensors(spec: ModelSpec, weights: readonly NamedWeight[]): NamedWeight[] {
  const why = peftRefusal(spec);
  if (why) throw new Error(why);
  const byName = new Map(weights.map((w) => [w.name, w]));
  return adapterRows(spec as BertModelSpec).map((row) => {
    const w = byName.get(row.name);
    if (!w) throw new Error(`the model has no weight ${row.name} (PEFT's ${row.peftName})`);
    if (!row.transpose) return { name: row.peftName, shape: [...w.shape], data: w.data };
    return { name: row.peftName, shape: [...w.shape].reverse(), data: transposed(w.data, w.shape) };
  });
}

/** An adapter file's tensors (PEFT's names) -> RM Lab's weights for the spec's adapters and head; every one must be there. */
export function fromPeftAdapter(
  spec: ModelSpec,
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
) {
  const why = peftRefusal(spec);
  if (why) throw new Error(why);
  return adapterRows(spec as BertModelSpec).map((row): NamedWeight => {
    const t = tensors.get(row.peftName);
    if (!t) throw new Error(`the adapter has no tensor ${row.peftName}`);
    if (!row.transpose) return { name: row.name, shape: [...t.shape], data: t.data };
    return { name: row.name, shape: [...t.shape].reverse(), data: transposed(t.data, t.shape) };
  });
}

/** adapter_config.json as PEFT's LoraConfig.save_pretrained writes it, for what RM Lab trained. */
export function peftAdapterConfig(spec: BertModelSpec): Record<string, unknown> {
  const lora = spec.lora!;
  return {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    base_model_name_or_path: baseModelName(spec.source),
    r: lora.rank,
    lora_alpha: lora.alpha,
    lora_dropout: 0.0,
    target_modules: lora.targets,
    modules_to_save: loraHeadModules(spec).modules,
    bias: 'none',
    fan_in_fan_out: spec.bert.modelType === 'gpt2', // GPT-2's Conv1D keeps its weight [in, out]
    use_rslora: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
  };
}

/** The Hub id a model came from, or the folder or URL it was read from, as PEFT names its base. */
function baseModelName(source: string): string {
  return source.startsWith('folder:') ? source.slice('folder:'.length) : source;
}

export interface PeftExportInput {
  spec: ModelSpec;
  weights: NamedWeight[];
  name: string;
}

/** The adapter folder's files by name. Throws peftRefusal's reason for a model with no adapter. */
export function peftAdapterFiles(input: PeftExportInput): Record<string, Uint8Array> {
  const tensors = peftAdapterTensors(input.spec, input.weights);
  const spec = input.spec as BertModelSpec;
  const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);
  return {
    'adapter_config.json': json(peftAdapterConfig(spec)),
    'adapter_model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    'README.md': strToU8(adapterCard(input.name, spec)),
  };
}

export function peftAdapterZip(input: PeftExportInput): Uint8Array {
  return zipSync(peftAdapterFiles(input), { level: 6 });
}

function adapterCard(name: string, spec: BertModelSpec): string {
  const base = baseModelName(spec.source);
  return `---
library_name: peft
base_model: ${base}
tags: [reward-model, rm-lab, lora]
---
# ${name}

A LoRA adapter (r ${spec.lora!.rank}, alpha ${spec.lora!.alpha}, on ${spec.lora!.targets.join(', ')}) trained in RM Lab
on \`${base}\`, with its reward head (${loraHeadModules(spec).modules.join(', ')}). One output: the logit is the reward.

\`\`\`python
from peft import PeftModel
from transformers import AutoModelForSequenceClassification

base = AutoModelForSequenceClassification.from_pretrained("${base}", num_labels=1)
model = PeftModel.from_pretrained(base, ".").eval()
\`\`\`
`;
}
