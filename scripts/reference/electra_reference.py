#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's ELECTRA reward model:
# ElectraForSequenceClassification with one label, written by hand from transformers'
# modeling_electra.py (no `transformers` here) in eval mode. What differs from BERT:
#   e     = LN(E_word[ids] + E_pos[0:T] + E_type[types])         embedding_size E wide
#   x     = embeddings_project(e)                                 when E != hidden_size
#   layers: BertLayer (encoder_fixture.bert_layers)
#   'cls':  r = out_proj(gelu(dense(x[:, 0])))                    ElectraClassificationHead (gelu, not tanh)
#   'mean' / 'last': r = out_proj(pool(x))                        RM Lab's poolings, no dense layer
# Writes tests/fixtures/reference-electra-*.json:
#   /usr/bin/python3 scripts/reference/electra_reference.py
import sys

import torch
import torch.nn.functional as F

from bert_reference import token_types
from encoder_fixture import bert_layers, layer_norm_weights, linear_weights, normal, pool, write_fixtures

PAD, CLS, SEP = 0, 1, 2
SPECIAL = {'sepTokenId': SEP, 'padTokenId': PAD}
MAIN_PAIRS = [
    ([CLS, 5, 9, 9, SEP, 17, 23, SEP], [CLS, 5, 9, 9, SEP, 31, SEP], 0.0),
    ([CLS, 12, 3, SEP, 8, 8, 8, 14, 29, 21, 11, 6, 7, 30, SEP], [CLS, 12, 3, SEP, 11, SEP], 0.5),
    ([CLS, 27, SEP, 19, 4, 6], [CLS, 27, SEP, 19, 25, 26, 10, SEP, 5], -0.25),
]
TINY_PAIRS = [
    ([CLS, 4, 7, SEP, 9, 9, SEP], [CLS, 4, 7, SEP, 13, SEP], 0.0),
    ([CLS, 20, SEP, 5, SEP], [CLS, 20, SEP, 11, 18, 23], 1.0),
]


def config(vocab, embedding, hidden, layers, heads, intermediate, positions, act):
    """config.json as transformers writes it for an ElectraModel (a discriminator)."""
    return {
        'architectures': ['ElectraForPreTraining'], 'model_type': 'electra', 'vocab_size': vocab,
        'embedding_size': embedding, 'hidden_size': hidden, 'num_hidden_layers': layers,
        'num_attention_heads': heads, 'intermediate_size': intermediate, 'hidden_act': act,
        'max_position_embeddings': positions, 'type_vocab_size': 2, 'layer_norm_eps': 1e-12,
        'pad_token_id': PAD, 'position_embedding_type': 'absolute', 'hidden_dropout_prob': 0.1,
        'attention_probs_dropout_prob': 0.1, 'summary_type': 'first', 'summary_use_proj': True,
    }


FIXTURES = {
    'reference-electra-cls-gelu': (config(32, 4, 8, 2, 2, 32, 24, 'gelu'), 'cls', MAIN_PAIRS, 16, 5301, SPECIAL),
    'reference-electra-mean-gelu': (config(32, 8, 8, 2, 2, 32, 24, 'gelu'), 'mean', MAIN_PAIRS, 16, 5302, SPECIAL),
    'reference-electra-tiny-cls-gelu': (config(24, 4, 8, 1, 2, 16, 8, 'gelu'), 'cls', TINY_PAIRS, 8, 5303, SPECIAL),
}


def draw_weights(cfg, pooling, gen):
    V, E, D, I = cfg['vocab_size'], cfg['embedding_size'], cfg['hidden_size'], cfg['intermediate_size']
    P = cfg['max_position_embeddings']
    w = {}
    e = 'electra.embeddings.'
    w[e + 'word_embeddings.weight'] = normal(gen, [V, E], 0.02)
    w[e + 'position_embeddings.weight'] = normal(gen, [P, E], 0.02)
    w[e + 'token_type_embeddings.weight'] = normal(gen, [2, E], 0.02)
    layer_norm_weights(w, gen, e + 'LayerNorm', E)
    if E != D:
        linear_weights(w, gen, 'electra.embeddings_project', E, D, 0.5)
    for l in range(cfg['num_hidden_layers']):
        p = f'electra.encoder.layer.{l}.'
        for m in ('query', 'key', 'value'):
            linear_weights(w, gen, p + 'attention.self.' + m, D, D)
        linear_weights(w, gen, p + 'attention.output.dense', D, D)
        layer_norm_weights(w, gen, p + 'attention.output.LayerNorm', D)
        linear_weights(w, gen, p + 'intermediate.dense', D, I, 0.5)
        linear_weights(w, gen, p + 'output.dense', I, D)
        layer_norm_weights(w, gen, p + 'output.LayerNorm', D)
    if pooling == 'cls':
        linear_weights(w, gen, 'classifier.dense', D, D, 0.5)
    linear_weights(w, gen, 'classifier.out_proj', D, 1, 0.5)
    return w


def rewards(w, cfg, pooling, ids, mask):
    T, E, D = ids.shape[1], cfg['embedding_size'], cfg['hidden_size']
    e = 'electra.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=cfg['pad_token_id']) \
        + w[e + 'position_embeddings.weight'][torch.arange(T)][None] \
        + F.embedding(token_types(ids, mask, SEP), w[e + 'token_type_embeddings.weight'])
    x = F.layer_norm(x, (E,), w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'], cfg['layer_norm_eps'])
    if E != D:
        x = F.linear(x, w['electra.embeddings_project.weight'], w['electra.embeddings_project.bias'])
    x = bert_layers(w, cfg, 'electra.', x, mask)
    if pooling == 'cls':
        pooled = F.gelu(F.linear(x[:, 0], w['classifier.dense.weight'], w['classifier.dense.bias']))
    else:
        pooled = pool(x, mask, pooling)
    return F.linear(pooled, w['classifier.out_proj.weight'], w['classifier.out_proj.bias']).squeeze(1)


if __name__ == '__main__':
    write_fixtures(sys.modules[__name__], FIXTURES)
