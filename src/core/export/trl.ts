// "Train bigger": a run's dataset and settings as a folder that Hugging Face TRL trains on, so a
// user who outgrows the browser goes on with TRL's RewardTrainer and its distributed launchers
// (accelerate, torchrun), not with anything home-made. The zip holds:
//   data/train.jsonl, data/test.jsonl  the run's own split (same seed, same held-out prompts), TRL format
//   train_reward_model.py              a ready RewardTrainer script
//   reward_config.json                 the RewardConfig it uses, and the RM Lab run it came from
//   README.txt                         how to run it on one GPU or many
import { zipSync, strToU8 } from 'fflate';
import { exportLine } from '../data/export.ts';
import type { PairInput } from '../data/pair.ts';
import { planSplit } from '../data/split.ts';
import { parseEncoderSource, type TrainConfig } from '../train/config.ts';

/** The TRL release the script was written and checked against (RewardConfig / RewardTrainer API). */
export const TRL_VERSION = '0.19.1';

/**
 * The Hub model a run on the built-in encoder (or on a folder only this browser has) continues
 * with: BERT-base, the encoder the built-in one imitates in small, and a common reward-model start.
 */
export const DEFAULT_TRL_MODEL = 'google-bert/bert-base-uncased';

export interface TrainBiggerInput {
  config: TrainConfig;
  /** The run whose settings these are; none when they come from the training form as it stands. */
  runId?: string;
  /** The dataset's name, for the README and the config's provenance. */
  datasetName: string;
  pairs: Iterable<PairInput>;
  /** ISO time written into the files (a parameter so tests are deterministic). */
  exportedAt: string;
}

/** What RewardConfig(**kwargs) gets: TRL's (transformers.TrainingArguments') own field names. */
export type RewardConfigArgs = Record<string, string | number | boolean | null>;

/** Where the run's encoder continues on TRL: its Hub id, else DEFAULT_TRL_MODEL, and why. */
export function trlModelFor(config: TrainConfig): { modelId: string; revision?: string; note: string } {
  const source = parseEncoderSource(config.encoder);
  switch (source.kind) {
    case 'hub':
      return {
        modelId: source.id,
        ...(source.revision !== 'main' ? { revision: source.revision } : {}),
        note: `The run's own pretrained encoder, from the Hugging Face Hub.`,
      };
    case 'builtin':
      return {
        modelId: DEFAULT_TRL_MODEL,
        note:
          "The run used RM Lab's small built-in transformer, which has no Hub checkpoint: this starts from " +
          'BERT-base instead. Any AutoModelForSequenceClassification checkpoint works here.',
      };
    case 'url':
    case 'folder':
      return {
        modelId: DEFAULT_TRL_MODEL,
        note:
          `The run's encoder came from ${source.kind === 'url' ? source.url : `the folder "${source.name}"`}, ` +
          'which TRL cannot fetch by name: put its Hub id or a local path here. BERT-base until then.',
      };
  }
}

/**
 * RewardConfig arguments carrying the run's hyper-parameters. A run from before the training form
 * had a schedule, decay or clipping trained with plain Adam, a constant learning rate and no
 * clipping: said explicitly, since TRL's defaults differ (linear decay, clipping at 1.0). Options
 * the form holds (weight decay, warm-up, schedule, clipping, accumulation, reward centring) map by
 * name, so a stored run's config gives what that run did.
 */
export function rewardConfigArgs(config: TrainConfig): RewardConfigArgs {
  const args: RewardConfigArgs = {
    output_dir: 'reward-model',
    learning_rate: config.learningRate,
    per_device_train_batch_size: config.batchSize,
    per_device_eval_batch_size: config.batchSize,
    num_train_epochs: config.epochs,
    // RM Lab's 0 means "all epochs"; TrainingArguments' is -1.
    max_steps: config.maxSteps > 0 ? config.maxSteps : -1,
    seed: config.seed,
    data_seed: config.seed,
    max_length: config.maxLength,
    eval_strategy: 'steps',
    eval_steps: config.evalEvery,
    save_strategy: 'steps',
    save_steps: config.checkpointEvery,
    logging_steps: Math.max(1, Math.min(config.evalEvery, 10)),
    optim: 'adamw_torch',
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    weight_decay: 0,
    lr_scheduler_type: 'constant',
    warmup_steps: 0,
    max_grad_norm: 0, // 0 turns clipping off in transformers' Trainer
    gradient_accumulation_steps: 1,
    report_to: 'none',
  };
  // Fields the training form may hold (by RM Lab's name) and their TRL names.
  const later: Record<string, string> = {
    weightDecay: 'weight_decay',
    warmupSteps: 'warmup_steps',
    warmupRatio: 'warmup_ratio',
    lrSchedule: 'lr_scheduler_type',
    maxGradNorm: 'max_grad_norm',
    gradAccumulation: 'gradient_accumulation_steps',
    centerRewards: 'center_rewards_coefficient',
  };
  const raw = config as unknown as Record<string, unknown>;
  for (const [ours, theirs] of Object.entries(later)) {
    const value = raw[ours];
    if (typeof value === 'number' || typeof value === 'string') args[theirs] = value;
  }
  // TRL leaves centring off with None; RM Lab's 0 means the same.
  if (args.center_rewards_coefficient === 0) delete args.center_rewards_coefficient;
  return args;
}

/** Where the settings came from, in words. */
function origin(input: { runId?: string }): string {
  return input.runId ? `run ${input.runId}` : "the training form's settings";
}

/** A value as a Python literal (JSON's strings and numbers are Python's too). */
export function pythonLiteral(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no Python literal here`);
    return Number.isInteger(value) ? String(value) : String(value).replace(/^(-?)\./, '$10.');
  }
  return JSON.stringify(value);
}

export function trainRewardModelScript(input: Omit<TrainBiggerInput, 'pairs'>, args: RewardConfigArgs): string {
  const model = trlModelFor(input.config);
  const kwargs = Object.entries(args)
    .map(([k, v]) => `    ${k}=${pythonLiteral(v)},`)
    .join('\n');
  const revision = model.revision ? `, revision=${pythonLiteral(model.revision)}` : '';
  return `# train_reward_model.py: goes on with an RM Lab run on Hugging Face TRL's RewardTrainer.
# Written for trl==${TRL_VERSION} (pip install "trl==${TRL_VERSION}"), which brings transformers,
# datasets and accelerate. Exported by RM Lab on ${input.exportedAt} from ${origin(input)}
# on the dataset ${pythonLiteral(input.datasetName)}.
#
#   one GPU or the CPU:   python train_reward_model.py
#   several GPUs:         accelerate launch train_reward_model.py
#                         torchrun --nproc_per_node=<gpus> train_reward_model.py
#
# The batch size below is per device: on N GPUs a step sees N times as many pairs.
from pathlib import Path

from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from trl import RewardConfig, RewardTrainer

HERE = Path(__file__).resolve().parent

# ${model.note.replace(/\n/g, ' ')}
MODEL_ID = ${pythonLiteral(model.modelId)}

# The run's hyper-parameters under TrainingArguments' names (also in reward_config.json).
ARGS = RewardConfig(
${kwargs}
)


def implicit_prompt(row):
    """TRL's RewardTrainer scores chosen and rejected whole: put the prompt in front of each."""
    prompt = row.get("prompt")
    if not prompt:
        return {}
    if isinstance(prompt, str):
        return {"chosen": prompt + "\\n\\n" + row["chosen"], "rejected": prompt + "\\n\\n" + row["rejected"]}
    # Conversational rows: the prompt's messages, then the response's.
    return {"chosen": prompt + row["chosen"], "rejected": prompt + row["rejected"]}


def main():
    # The run's own split: the same held-out prompts RM Lab measured accuracy on.
    files = {"train": str(HERE / "data" / "train.jsonl"), "test": str(HERE / "data" / "test.jsonl")}
    data = load_dataset("json", data_files=files)
    if "prompt" in data["train"].column_names:
        data = data.map(implicit_prompt, remove_columns=["prompt"])

    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID${revision})
    # One output: the reward, as RM Lab's head gives.
    model = AutoModelForSequenceClassification.from_pretrained(MODEL_ID${revision}, num_labels=1)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id

    trainer = RewardTrainer(
        model=model,
        args=ARGS,
        processing_class=tokenizer,
        train_dataset=data["train"],
        eval_dataset=data["test"],
    )
    trainer.train()
    trainer.save_model(ARGS.output_dir)
    tokenizer.save_pretrained(ARGS.output_dir)
    print(trainer.evaluate())


if __name__ == "__main__":
    main()
`;
}

function readme(input: Omit<TrainBiggerInput, 'pairs'>, counts: SplitCounts): string {
  const model = trlModelFor(input.config);
  return `Train bigger: this RM Lab run, continued on Hugging Face TRL
==========================================================

From ${origin(input)} on the dataset "${input.datasetName}", exported ${input.exportedAt}.

data/train.jsonl   ${counts.train} pairs    TRL preference format (prompt, chosen, rejected)
data/test.jsonl    ${counts.test} pairs    the run's held-out prompts (same split seed)
train_reward_model.py   RewardTrainer on ${model.modelId}, with the run's settings
reward_config.json      those settings, and the RM Lab run they came from

${counts.skipped} pairs were left out: ties and both-bad judgements have no chosen response, and TRL
has no way to hold them.

Run it
------
  python -m venv .venv && . .venv/bin/activate
  pip install "trl==${TRL_VERSION}"
  python train_reward_model.py                        # one GPU (or the CPU: slow)
  accelerate launch train_reward_model.py             # every GPU of this machine
  torchrun --nproc_per_node=8 train_reward_model.py   # the same with PyTorch's launcher
  accelerate config                                   # once, for several machines, DeepSpeed or FSDP

The trained model lands in reward-model/ as a sequence-classification checkpoint with one label:
its logit is the reward.

${model.note}
${unmatched(input.config)}`;
}

/** RM Lab options TRL's RewardTrainer has no counterpart for, in words (empty when none is on). */
function unmatched(config: TrainConfig): string {
  const raw = config as unknown as Record<string, unknown>;
  const notes: string[] = [];
  if (raw.ties === 'davidson')
    notes.push("The run also trained on ties (Davidson's model); TRL's loss has no ties, so they are left out.");
  if (raw.softTargets === 'votes')
    notes.push("The run trained on annotators' vote shares; TRL trains on the majority's choice.");
  return notes.length ? `\n${notes.join('\n')}\n` : '';
}

export interface SplitCounts {
  train: number;
  test: number;
  skipped: number;
}

/** The files of the bundle, by path: the zip's contents, before zipping (for tests and the zip). */
export function trainBiggerFiles(input: TrainBiggerInput): { files: Record<string, string>; counts: SplitCounts } {
  const { config } = input;
  const pairs = [...input.pairs];
  const split = planSplit(pairs, {
    seed: config.splitSeed,
    heldOutFraction: config.heldOutFraction,
    stratify: config.stratify,
  });
  const train: string[] = [];
  const test: string[] = [];
  const counts: SplitCounts = { train: 0, test: 0, skipped: 0 };
  for (const pair of pairs) {
    const line = exportLine(pair, 'trl');
    if (line === undefined) counts.skipped++;
    else if (split.sideOf(pair) === 'heldout') {
      test.push(line);
      counts.test++;
    } else {
      train.push(line);
      counts.train++;
    }
  }
  const args = rewardConfigArgs(config);
  const model = trlModelFor(config);
  const { pairs: _pairs, ...about } = input;
  const settings = {
    trl_version: TRL_VERSION,
    model_id: model.modelId,
    ...(model.revision ? { model_revision: model.revision } : {}),
    reward_config: args,
    rm_lab: {
      run_id: input.runId ?? null,
      dataset: input.datasetName,
      exported_at: input.exportedAt,
      split: { held_out_fraction: config.heldOutFraction, split_seed: config.splitSeed, stratify: config.stratify },
      train_config: config,
    },
  };
  return {
    counts,
    files: {
      'README.txt': readme(about, counts),
      'train_reward_model.py': trainRewardModelScript(about, args),
      'reward_config.json': `${JSON.stringify(settings, null, 2)}\n`,
      'data/train.jsonl': train.join(''),
      'data/test.jsonl': test.join(''),
    },
  };
}

/** The bundle as a .zip file's bytes. */
export function trainBiggerZip(input: TrainBiggerInput): { zip: Uint8Array; counts: SplitCounts } {
  const { files, counts } = trainBiggerFiles(input);
  const entries = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, strToU8(text)]));
  return { zip: zipSync(entries, { level: 6, mtime: new Date(input.exportedAt) }), counts };
}
