#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's RoBERTa and XLM-RoBERTa reward models:
# RobertaForSequenceClassification with one label, written by hand from transformers'
# modeling_roberta.py (no `transformers` here) in eval mode. What differs from BERT:
#   position_ids = cumsum(ids != padding_idx) * (ids != padding_idx) + padding_idx
#                  (create_position_ids_from_input_ids: real tokens from padding_idx + 1 on)
#   x     = LN(E_word[ids] + E_pos[position_ids] + E_type[0])     type_vocab_size 1
#   layers: BertLayer (encoder_fixture.bert_layers)
#   'cls':  r = out_proj(tanh(dense(x[:, 0])))                    RobertaClassificationHead; the
#           pooler RobertaModel has is not used by it, so the fixtures have none
#   'mean' / 'last': r = out_proj(pool(x))                        RM Lab's poolings, no dense layer
# Special ids as RoBERTa's: <s> 0, <pad> 1, </s> 2; pairs "<s> A </s></s> B </s>".
# Writes tests/fixtures/reference-roberta-*.json and reference-xlm-roberta-*.json:
#   /usr/bin/python3 scripts/reference/roberta_reference.py
import sys

import torch
import torch.nn.functional as F

from encoder_fixture import bert_layers, layer_norm_weights, linear_weights, normal, pool, write_fixtures

BOS, PAD, EOS = 0, 1, 2
SPECIAL = {'sepTokenId': EOS, 'padTokenId': PAD}
MAIN_PAIRS = [
    ([BOS, 5, 9, 9, EOS, EOS, 17, 23, EOS], [BOS, 5, 9, 9, EOS, EOS, 31, EOS], 0.0),
    ([BOS, 12, 3, EOS, EOS, 8, 8, 8, 14, 29, 21, 11, 6, 7, 30, EOS], [BOS, 12, 3, EOS, EOS, 11, EOS], 0.5),
    ([BOS, 27, EOS, EOS, 19, 4, 6], [BOS, 27, EOS, EOS, 19, 25, 26, 10, EOS], -0.25),
]
TINY_PAIRS = [
    ([BOS, 4, 7, EOS, EOS, 9, 9, EOS], [BOS, 4, 7, EOS, EOS, 13, EOS], 0.0),
    ([BOS, 20, EOS, EOS, 5, EOS], [BOS, 20, EOS, EOS, 11, 18], 1.0),
]


def config(model_type, vocab, hidden, layers, heads, intermediate, tokens, act, eps):
    """config.json as transformers writes it for RoBERTa: the position table has padding_idx + 1 more rows."""
    arch = 'XLMRobertaModel' if model_type == 'xlm-roberta' else 'RobertaModel'
    return {
        'architectures': [arch], 'model_type': model_type, 'vocab_size': vocab, 'hidden_size': hidden,
        'num_hidden_layers': layers, 'num_attention_heads': heads, 'intermediate_size': intermediate,
        'hidden_act': act, 'max_position_embeddings': tokens + PAD + 1, 'type_vocab_size': 1,
        'layer_norm_eps': eps, 'pad_token_id': PAD, 'bos_token_id': BOS, 'eos_token_id': EOS,
        'position_embedding_type': 'absolute', 'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1,
    }


FIXTURES = {
    'reference-roberta-cls-gelu': (config('roberta', 32, 8, 2, 2, 32, 16, 'gelu', 1e-5), 'cls', MAIN_PAIRS, 16, 5101, SPECIAL),
    'reference-roberta-last-gelu': (config('roberta', 32, 8, 2, 2, 32, 16, 'gelu', 1e-5), 'last', MAIN_PAIRS, 16, 5102, SPECIAL),
    'reference-xlm-roberta-mean-gelu_new': (config('xlm-roberta', 32, 8, 2, 4, 32, 20, 'gelu_new', 1e-5), 'mean', MAIN_PAIRS, 16, 5103, SPECIAL),
    'reference-roberta-tiny-cls-gelu': (config('roberta', 24, 8, 1, 2, 16, 8, 'gelu', 1e-5), 'cls', TINY_PAIRS, 8, 5104, SPECIAL),
}


def draw_weights(cfg, pooling, gen):
    V, D, I, P = cfg['vocab_size'], cfg['hidden_size'], cfg['intermediate_size'], cfg['max_position_embeddings']
    w = {}
    e = 'roberta.embeddings.'
    w[e + 'word_embeddings.weight'] = normal(gen, [V, D], 0.02)
    w[e + 'position_embeddings.weight'] = normal(gen, [P, D], 0.02)
    w[e + 'token_type_embeddings.weight'] = normal(gen, [1, D], 0.02)
    layer_norm_weights(w, gen, e + 'LayerNorm', D)
    for l in range(cfg['num_hidden_layers']):
        p = f'roberta.encoder.layer.{l}.'
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


def position_ids(ids, padding_idx):
    """create_position_ids_from_input_ids (modeling_roberta.py), past length 0."""
    real = ids.ne(padding_idx).to(torch.long)
    return torch.cumsum(real, dim=1) * real + padding_idx


def rewards(w, cfg, pooling, ids, mask):
    D, eps, pad = cfg['hidden_size'], cfg['layer_norm_eps'], cfg['pad_token_id']
    e = 'roberta.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=pad) \
        + F.embedding(position_ids(ids, pad), w[e + 'position_embeddings.weight'], padding_idx=pad) \
        + w[e + 'token_type_embeddings.weight'][0]
    x = F.layer_norm(x, (D,), w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'], eps)
    x = bert_layers(w, cfg, 'roberta.', x, mask)
    if pooling == 'cls':
        pooled = torch.tanh(F.linear(x[:, 0], w['classifier.dense.weight'], w['classifier.dense.bias']))
    else:
        pooled = pool(x, mask, pooling)
    return F.linear(pooled, w['classifier.out_proj.weight'], w['classifier.out_proj.bias']).squeeze(1)


if __name__ == '__main__':
    write_fixtures(sys.modules[__name__], FIXTURES)
