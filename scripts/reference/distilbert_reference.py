#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's DistilBERT reward model:
# DistilBertForSequenceClassification with one label, written by hand from transformers'
# modeling_distilbert.py (no `transformers` here) in eval mode:
#   x     = LN(E_word[ids] + E_pos[0:T])                       no token types; LN eps 1e-12 (fixed)
#   per layer (TransformerBlock):
#     q, k, v = q_lin(x), k_lin(x), v_lin(x);  q = q / sqrt(hs)
#     a   = softmax(q k^T masked_fill(mask == 0, finfo.min)) v
#     x   = sa_layer_norm(out_lin(a) + x)
#     x   = output_layer_norm(lin2(act(lin1(x))) + x)           act: config.activation
#   'cls':  r = classifier(relu(pre_classifier(x[:, 0])))      DistilBertForSequenceClassification
#   'mean' / 'last': r = classifier(pool(x))                    RM Lab's poolings, no pre_classifier
# Writes tests/fixtures/reference-distilbert-*.json:
#   /usr/bin/python3 scripts/reference/distilbert_reference.py
import math
import sys

import torch
import torch.nn.functional as F

from bert_reference import activation
from encoder_fixture import layer_norm_weights, linear_weights, normal, pool, write_fixtures

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


def config(vocab, dim, layers, heads, hidden_dim, positions, act):
    """config.json as transformers writes it for a DistilBertModel (its own field names)."""
    return {
        'architectures': ['DistilBertModel'], 'model_type': 'distilbert', 'vocab_size': vocab, 'dim': dim,
        'n_layers': layers, 'n_heads': heads, 'hidden_dim': hidden_dim, 'activation': act,
        'max_position_embeddings': positions, 'sinusoidal_pos_embds': False, 'pad_token_id': PAD,
        'dropout': 0.1, 'attention_dropout': 0.1, 'seq_classif_dropout': 0.2, 'initializer_range': 0.02,
    }


FIXTURES = {
    'reference-distilbert-cls-gelu': (config(32, 8, 2, 2, 32, 24, 'gelu'), 'cls', MAIN_PAIRS, 16, 5201, SPECIAL),
    'reference-distilbert-mean-relu': (config(32, 8, 2, 4, 32, 24, 'relu'), 'mean', MAIN_PAIRS, 16, 5202, SPECIAL),
    'reference-distilbert-tiny-cls-gelu': (config(24, 8, 1, 2, 16, 8, 'gelu'), 'cls', TINY_PAIRS, 8, 5203, SPECIAL),
}


def draw_weights(cfg, pooling, gen):
    V, D, I, P = cfg['vocab_size'], cfg['dim'], cfg['hidden_dim'], cfg['max_position_embeddings']
    w = {}
    e = 'distilbert.embeddings.'
    w[e + 'word_embeddings.weight'] = normal(gen, [V, D], 0.02)
    w[e + 'position_embeddings.weight'] = normal(gen, [P, D], 0.02)
    layer_norm_weights(w, gen, e + 'LayerNorm', D)
    for l in range(cfg['n_layers']):
        p = f'distilbert.transformer.layer.{l}.'
        for m in ('q_lin', 'k_lin', 'v_lin', 'out_lin'):
            linear_weights(w, gen, p + 'attention.' + m, D, D)
        layer_norm_weights(w, gen, p + 'sa_layer_norm', D)
        linear_weights(w, gen, p + 'ffn.lin1', D, I, 0.5)
        linear_weights(w, gen, p + 'ffn.lin2', I, D)
        layer_norm_weights(w, gen, p + 'output_layer_norm', D)
    if pooling == 'cls':
        linear_weights(w, gen, 'pre_classifier', D, D, 0.5)
    linear_weights(w, gen, 'classifier', D, 1, 0.5)
    return w


def rewards(w, cfg, pooling, ids, mask):
    n, T = ids.shape
    D, H = cfg['dim'], cfg['n_heads']
    hs = D // H
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], 1e-12)
    lin = lambda x, name: F.linear(x, w[name + '.weight'], w[name + '.bias'])
    e = 'distilbert.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=cfg['pad_token_id']) \
        + w[e + 'position_embeddings.weight'][torch.arange(T)][None]
    x = ln(x, e + 'LayerNorm')
    masked = (mask == 0)[:, None, None, :]  # [n, 1, 1, T]
    for l in range(cfg['n_layers']):
        p = f'distilbert.transformer.layer.{l}.'
        heads = lambda t: t.view(n, T, H, hs).transpose(1, 2)  # [n, H, T, hs]
        q = heads(lin(x, p + 'attention.q_lin')) / math.sqrt(hs)
        k, v = heads(lin(x, p + 'attention.k_lin')), heads(lin(x, p + 'attention.v_lin'))
        scores = (q @ k.transpose(2, 3)).masked_fill(masked, torch.finfo(torch.float64).min)
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(n, T, D)
        x = ln(lin(context, p + 'attention.out_lin') + x, p + 'sa_layer_norm')
        h = lin(activation(cfg['activation'], lin(x, p + 'ffn.lin1')), p + 'ffn.lin2')
        x = ln(h + x, p + 'output_layer_norm')
    if pooling == 'cls':
        pooled = F.relu(lin(x[:, 0], 'pre_classifier'))
    else:
        pooled = pool(x, mask, pooling)
    return lin(pooled, 'classifier').squeeze(1)


if __name__ == '__main__':
    write_fixtures(sys.modules[__name__], FIXTURES)
