// A reward model from the Hub before and after its download: config.json checked first (one label,
// a sequence classifier) and the memory plan made from it, with the weights' size from a HEAD
// request; a model that will not fit stops after config.json (the stand-in Hub counts requests);
// a checkpoint with its head opens as a ready model that scores as the CLI's ready model does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubFolder } from '../../src/core/model/hub.ts';
import { DownloadStalled } from '../../src/core/share/watched-fetch.ts';
import { loadModelFolder } from '../../src/core/model/pretrained.ts';
import { checkRewardConfig, classifierLabels, readyRewardModel } from '../../src/core/model/ready-reward.ts';
import { planningCheck, PlanTooLarge, type DownloadPlan } from '../../src/core/train/download-plan.ts';
import { limitsFor } from '../../src/core/train/memory-plan.ts';
import { startHubServer, type HubServer } from '../hub-server.ts';
import { tinyDecoderFolder } from '../tiny-decoder.ts';
import { tinyBertFolder } from '../tiny-bert.ts';

let hub: HubServer;
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A config.json claiming a Llama of 8 B parameters (the weights file is a few bytes: it must never be read). */
const HUGE = {
  architectures: ['LlamaForSequenceClassification'],
  model_type: 'llama',
  vocab_size: 128256,
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  pad_token_id: 0,
  id2label: { '0': 'LABEL_0' },
};

function withConfig(files: Map<string, Uint8Array>, change: (c: Record<string, unknown>) => object) {
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as Record<string, unknown>;
  return new Map([...files, ['config.json', json(change(config))]]);
}

beforeAll(async () => {
  const reward = tinyDecoderFolder({ modelType: 'gpt2', kind: 'reward' });
  hub = await startHubServer({
    'rm/gpt2-reward': { files: reward },
    'rm/sentiment': {
      files: withConfig(reward, (c) => ({
        ...c,
        id2label: { '0': 'negative', '1': 'neutral', '2': 'positive' },
      })),
    },
    'rm/bare-bert': { files: tinyBertFolder() },
    // XLM-RoBERTa as many repositories have it: the SentencePiece model, no tokenizer.json.
    'rm/xlmr-no-json': {
      files: new Map([
        ...[...tinyBertFolder({ modelType: 'xlm-roberta', tokenizer: 'vocab' })].filter(([n]) => n !== 'vocab.txt'),
        ['sentencepiece.bpe.model', new Uint8Array(16)],
      ]),
    },
    'rm/huge': {
      files: new Map([
        ['config.json', json(HUGE)],
        ['model.safetensors', new Uint8Array(8)],
      ]),
    },
  });
});

afterAll(() => hub.close());

const request = (backend = 'wasm', force = false) => ({
  run: {
    batchSize: 8,
    maxLength: 128,
    gradAccumulation: 1,
    frozenLayers: 0,
    embeddingTraining: 'train' as const,
    pooling: 'cls' as const,
  },
  limits: limitsFor(backend),
  force,
});

function loadReward(id: string, plans: DownloadPlan[], force = false) {
  return loadModelFolder(hubFolder(id, 'main', hub.url), {
    onConfig: async (check) => {
      checkRewardConfig(check.configJson, id);
      await planningCheck(id, request('wasm', force), (p) => plans.push(p))(check);
    },
  });
}

describe('a reward model from the Hub', () => {
  it('counts labels as transformers does', () => {
    expect(classifierLabels({ id2label: { '1': 'b', '0': 'a' } })).toEqual(['a', 'b']);
    expect(classifierLabels({ num_labels: 1 })).toEqual(['LABEL_0']);
    expect(classifierLabels({})).toHaveLength(2); // PretrainedConfig's default
  });

  it('plans from config.json and the HEAD size, then loads the checkpoint with its head', async () => {
    const plans: DownloadPlan[] = [];
    const before = hub.requests.length;
    const folder = await loadReward('rm/gpt2-reward', plans);
    const requested = hub.requests.slice(before);
    // The plan came before the tokenizer and the weights: config.json, then the HEAD, then the rest.
    expect(requested.slice(0, 3)).toEqual([
      '/rm/gpt2-reward/resolve/main/config.json',
      'HEAD /rm/gpt2-reward/resolve/main/model.safetensors',
      'HEAD /cdn/rm/gpt2-reward/model.safetensors',
    ]);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.downloadBytes).toBe(folder.files.get('model.safetensors')!.byteLength);
    expect(plans[0]!.plan.over).toBeUndefined();
    const ready = readyRewardModel(folder, 'rm/gpt2-reward');
    // The plan counted every weight of the model as it was then built (the plan's head has a bias a decoder's lacks).
    const weights = [...ready.weights, ...ready.head].reduce((n, w) => n + w.data.length, 0);
    expect(plans[0]!.parameters).toBe(weights + 1);
    expect(ready.head.map((w) => w.name)).toEqual(['head.weight']);
  });

  it('refuses a classifier with three labels after config.json alone, naming the labels', async () => {
    const before = hub.requests.length;
    await expect(loadReward('rm/sentiment', [])).rejects.toThrow(
      'rm/sentiment is a classifier with 3 labels (negative, neutral, positive), not a reward model with one score',
    );
    expect(hub.requests.slice(before)).toEqual(['/rm/sentiment/resolve/main/config.json']);
  });

  it('refuses a bare encoder: not a sequence classifier, so no head', async () => {
    await expect(loadReward('rm/bare-bert', [])).rejects.toThrow(
      /rm\/bare-bert is a BertModel, not a \*ForSequenceClassification checkpoint: it has no reward head/,
    );
  });

  it('an XLM-RoBERTa repository with only sentencepiece.bpe.model: refused naming the file and the way out', async () => {
    const before = hub.requests.length;
    await expect(loadModelFolder(hubFolder('rm/xlmr-no-json', 'main', hub.url), {})).rejects.toThrow(
      /rm\/xlmr-no-json has no tokenizer\.json: .*Its SentencePiece model \(sentencepiece\.bpe\.model\) is not one RM Lab reads: in Python, AutoTokenizer\.from_pretrained/,
    );
    // Refused before the weights (the SentencePiece file itself is never downloaded).
    expect(hub.requests.slice(before).some((p) => /safetensors|sentencepiece/.test(p))).toBe(false);
  });

  it('a download that stalls after the plan is given up with the file named', async () => {
    const plans: DownloadPlan[] = [];
    try {
      const error = await loadModelFolder(hubFolder('rm/gpt2-reward', 'main', hub.url, { stallMs: 300 }), {
        onConfig: async (check) => {
          await planningCheck('rm/gpt2-reward', request(), (p) => plans.push(p))(check);
          hub.slowdown = 5_000; // from here on, each file's first 64 KiB waits past the stall timeout
        },
      }).catch((e: unknown) => e);
      expect(plans).toHaveLength(1);
      expect(error).toBeInstanceOf(DownloadStalled);
      expect((error as Error).message).toMatch(
        /the download of tokenizer\.json from rm\/gpt2-reward stalled: nothing arrived for 0\.3 s/,
      );
    } finally {
      hub.slowdown = 0;
    }
  });

  it('a config claiming an 8 B model: the plan says it will not fit, and no weight is downloaded', async () => {
    const plans: DownloadPlan[] = [];
    const before = hub.requests.length;
    const error = await loadReward('rm/huge', plans).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanTooLarge);
    expect((error as Error).message).toMatch(
      /^This run will not fit: the run needs about [\d.]+ GB, more than WebAssembly's 4 GB heap/,
    );
    expect(plans[0]!.parameters).toBeGreaterThan(7e9);
    expect(plans[0]!.plan.suggestions.length).toBeGreaterThan(0);
    // config.json and the size question; no GET of anything else.
    expect(hub.requests.slice(before).filter((p) => !p.startsWith('HEAD '))).toEqual([
      '/rm/huge/resolve/main/config.json',
    ]);
  });
});
