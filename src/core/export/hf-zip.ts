// A reward model of any registry family as a Hugging Face model folder, zipped: what
// `AutoModelForSequenceClassification.from_pretrained(folder)` and `AutoTokenizer.from_pretrained(folder)`
// read. The names, shapes and config come from the encoder's own mapping (hf-checkpoint.ts); this
// file only packages them:
//   model.safetensors       the family's *ForSequenceClassification state_dict, float32
//   config.json             one label: the logit is the reward
//   tokenizer.json          the model's own tokenizer, as it was trained with
//   tokenizer_config.json   the tokenizer's settings (special tokens, case, max length)
//   README.md               a short model card: where it came from and how to score with it
import { strToU8, zipSync } from 'fflate';
import { toHuggingFaceSequenceClassification } from '../model/hf-checkpoint.ts';
import type { ModelSpec, NamedWeight, TokenizerFiles } from '../model/reward-model.ts';
import { longestSequence } from '../model/encoders/bert-config.ts';
import { familyOf } from '../model/families/registry.ts';
import { writeSafetensors } from '../model/safetensors.ts';

export const HF_FOLDER_FILES = [
  'model.safetensors',
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'README.md',
] as const;

export interface HuggingFaceExportInput {
  spec: ModelSpec;
  weights: NamedWeight[];
  tokenizer: TokenizerFiles | undefined;
  name: string;
  datasetName?: string;
  heldOutAccuracy?: number;
}

/** The folder's files by name. Throws the mapping's plain reason for a model HF cannot hold. */
export function huggingFaceFiles(input: HuggingFaceExportInput): Record<string, Uint8Array> {
  const { config, tensors } = toHuggingFaceSequenceClassification(input.spec, input.weights);
  if (input.spec.encoder !== 'bert') throw new Error('only BERT-family models export as a Hugging Face checkpoint');
  if (!input.tokenizer) throw new Error("the model's tokenizer is missing, so its folder would not read text");
  const bert = input.spec.bert;
  const family = familyOf(bert);
  const tokenizerConfig = {
    // Special tokens as the family's fast tokenizer expects them; the model's own settings win.
    tokenizer_class: family.tokenizerClass,
    ...family.specialTokens,
    ...(input.tokenizer.config as Record<string, unknown> | undefined),
    model_max_length: longestSequence(bert),
  };
  const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);
  return {
    // "format": "pt" is what transformers' own save_pretrained writes into the header.
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    'config.json': json(config),
    'tokenizer.json': json(input.tokenizer.json),
    'tokenizer_config.json': json(tokenizerConfig),
    'README.md': strToU8(modelCard(input)),
  };
}

export function huggingFaceZip(input: HuggingFaceExportInput): Uint8Array {
  return zipSync(huggingFaceFiles(input), { level: 6 });
}

function modelCard(input: HuggingFaceExportInput): string {
  const source = input.spec.encoder === 'bert' ? input.spec.source : 'the built-in encoder';
  const accuracy =
    input.heldOutAccuracy === undefined
      ? ''
      : ` Held-out accuracy in RM Lab: ${(100 * input.heldOutAccuracy).toFixed(1)}%.`;
  return `---
library_name: transformers
pipeline_tag: text-classification
tags: [reward-model, rm-lab]
---
# ${input.name}

A reward model trained in RM Lab from \`${source}\`${input.datasetName ? ` on "${input.datasetName}"` : ''}.${accuracy}
One output: the logit is the reward r(prompt, response); a higher reward means a better response.

\`\`\`python
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(".")
model = AutoModelForSequenceClassification.from_pretrained(".").eval()
# RM Lab reads (prompt, response) as a text pair, laid out as the tokenizer lays out pairs.
batch = tokenizer(["What is 2 + 2?"], ["4"], return_tensors="pt", truncation=True)
with torch.no_grad():
    reward = model(**batch).logits[:, 0]
\`\`\`
`;
}
