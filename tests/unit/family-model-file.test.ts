// A trained model of each new family in RM Lab's own model file (model-file.ts, checked by
// model-check.ts before anything is built): the family's optional config fields (RoBERTa's position
// offset, ELECTRA's embedding size, each head's activation, DistilBERT's missing segment table,
// DeBERTa's relative-attention settings)
// travel in the spec and come back as the same model; a spec naming a model type no family builds,
// or an offset that leaves no position, is refused by name.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/core/model/model-check.ts';
import { decodeModelFile, encodeModelFile } from '../../src/core/model/model-file.ts';
import { RewardModel, type BertModelSpec } from '../../src/core/model/reward-model.ts';
import { bertSpecOf, loadBertModel, type BertFixture } from '../bert-reference-fixture.ts';
import { fixtureFolder } from '../fixture-folder.ts';
import distilbert from '../fixtures/reference-distilbert-cls-gelu.json';
import roberta from '../fixtures/reference-roberta-cls-gelu.json';
import electra from '../fixtures/reference-electra-cls-gelu.json';
import debertaV3 from '../fixtures/reference-deberta-v3-cls-gelu.json';
import debertaV2 from '../fixtures/reference-deberta-v2-cls-gelu.json';

const tokenizerOf = (f: BertFixture) => ({
  json: JSON.parse(new TextDecoder().decode(fixtureFolder(f).get('tokenizer.json'))) as object,
});

describe.each([
  ['distilbert', distilbert],
  ['roberta', roberta],
  ['electra', electra],
  // DeBERTa's disentangled-attention fields (buckets, pos_att_type, share_att_key, ...) in the spec.
  ['deberta-v3', debertaV3],
  ['deberta-v2', debertaV2],
] as [string, BertFixture][])('%s in a model file', (family, f) => {
  it('comes back as the same model, its spec whole', async () => {
    const model = loadBertModel(f);
    const bytes = encodeModelFile({
      spec: model.spec,
      tokenizer: tokenizerOf(f),
      weights: await model.getWeights(),
      meta: { name: family, createdAt: '2026-12-06T00:00:00Z' },
    });
    const file = decodeModelFile(bytes, `${family}.rmlab.safetensors`);
    checkModelFile(file, `${family}.rmlab.safetensors`);
    expect(file.spec).toEqual(bertSpecOf(f));
    const again = RewardModel.fromWeights(file.spec, file.weights);
    const [ids, mask] = [tf.tensor2d(f.batch.ids, undefined, 'int32'), tf.tensor2d(f.batch.mask)];
    const [a, b] = [model.rewards(ids, mask), again.rewards(ids, mask)];
    expect(await b.data()).toEqual(await a.data());
    tf.dispose([ids, mask, a, b]);
    model.dispose();
    again.dispose();
  });
});

describe('specs the registry does not build', () => {
  const spec = bertSpecOf(roberta as BertFixture);
  const file = (bert: BertModelSpec['bert']) => ({
    spec: { ...spec, bert },
    tokenizer: tokenizerOf(roberta as BertFixture),
    weights: [],
    meta: { name: 'x', createdAt: '2026-12-06T00:00:00Z' },
  });
  it('refuses a model type no family builds, naming the ones it does', () => {
    expect(() => checkModelFile(file({ ...spec.bert, modelType: 'albert' }) as never, 'x.rmlab')).toThrow(
      /x\.rmlab: the spec's bert\.modelType must be bert, distilbert, roberta, xlm-roberta, electra, deberta-v2, gpt2, llama or qwen2, got "albert"/,
    );
  });
  it('refuses a position offset that leaves no position', () => {
    expect(() => checkModelFile(file({ ...spec.bert, positionOffset: 18 }) as never, 'x.rmlab')).toThrow(
      /positionOffset leaves no position/,
    );
  });
  it("refuses DeBERTa's relative-attention fields when they are not what the encoder reads", () => {
    const deberta = bertSpecOf(debertaV3 as BertFixture).bert;
    const debertaFile = (bert: Record<string, unknown>) => ({
      ...file(bert as never),
      tokenizer: tokenizerOf(debertaV3 as BertFixture),
    });
    expect(() => checkModelFile(debertaFile({ ...deberta, posAttTypes: ['c2p', 'p2p'] }) as never, 'x.rmlab')).toThrow(
      /x\.rmlab: the spec's bert\.posAttTypes must be c2p or p2c, got "p2p"/,
    );
    expect(() => checkModelFile(debertaFile({ ...deberta, shareAttKey: 'yes' }) as never, 'x.rmlab')).toThrow(
      /bert\.shareAttKey must be true or false/,
    );
    expect(() => checkModelFile(debertaFile({ ...deberta, positionBuckets: 2.5 }) as never, 'x.rmlab')).toThrow(
      /bert\.positionBuckets must be -1 or a whole number/,
    );
  });
});
