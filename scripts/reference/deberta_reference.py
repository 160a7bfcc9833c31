#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's DeBERTa-v2/v3 reward model:
# DebertaV2ForSequenceClassification with one label, written by hand from transformers'
# modeling_deberta_v2.py (no `transformers` here) in eval mode, keeping its functions' names:
#   make_log_bucket_position, build_relative_position   the relative positions, log-bucketed
#   embeddings       word (+ position if position_biased_input) (+ token type), embed_proj (no bias)
#                    where embedding_size != hidden_size, LayerNorm, times the mask
#   get_rel_embedding  rel_embeddings.weight, through encoder.LayerNorm if norm_rel_ebd has layer_norm
#   DisentangledSelfAttention + disentangled_attention_bias: q.k, c2p (q against the relative keys,
#                    gathered at clamp(rel + span)) and p2c (k against the relative queries, gathered
#                    at clamp(-rel + span) and transposed), each over sqrt(hs * scale_factor),
#                    scale_factor = 1 + len(pos_att_type); share_att_key uses query_proj / key_proj
#                    for the relative embeddings, else pos_query_proj / pos_key_proj
#   'cls':  r = classifier(ACT(pooler.dense(x[:, 0])))  ContextPooler, pooler_hidden_act
#   'mean' / 'last': r = classifier(pool(x))              RM Lab's poolings, no pooler
# Writes tests/fixtures/reference-deberta-*.json and, for the bucket function alone,
# tests/fixtures/reference-deberta-buckets.json:
#   /usr/bin/python3 scripts/reference/deberta_reference.py
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from bert_reference import activation, token_types
from encoder_fixture import OUT_DIR, layer_norm_weights, linear_weights, normal, pool, write_fixtures

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


def config(vocab, hidden, layers, heads, intermediate, positions, **deberta):
    """config.json as transformers writes it for a DebertaV2Model; `deberta` holds the v2/v3 fields."""
    cfg = {
        'architectures': ['DebertaV2Model'], 'model_type': 'deberta-v2', 'vocab_size': vocab,
        'hidden_size': hidden, 'num_hidden_layers': layers, 'num_attention_heads': heads,
        'intermediate_size': intermediate, 'hidden_act': 'gelu', 'max_position_embeddings': positions,
        'type_vocab_size': 0, 'layer_norm_eps': 1e-7, 'pad_token_id': PAD, 'hidden_dropout_prob': 0.1,
        'attention_probs_dropout_prob': 0.1, 'pooler_dropout': 0, 'pooler_hidden_act': 'gelu',
        'initializer_range': 0.02,
    }
    cfg.update(deberta)
    return cfg


# DeBERTa-v3's shape (deberta-v3-base's config.json fields): relative attention only, log buckets,
# keys shared with the content projections, the relative embeddings normalised.
V3 = dict(relative_attention=True, position_buckets=8, max_relative_positions=-1, share_att_key=True,
          pos_att_type='p2c|c2p', norm_rel_ebd='layer_norm', position_biased_input=False)
# DeBERTa-v2's older shape: absolute positions too, separate position projections, no buckets but a
# span (6) shorter than the sequence, so the clamping of the relative index shows; segments; E != D.
V2 = dict(relative_attention=True, max_relative_positions=6, share_att_key=False, pos_att_type=['c2p', 'p2c'],
          position_biased_input=True, type_vocab_size=2, embedding_size=4)
# c2p alone (scale_factor 2), buckets without norm_rel_ebd.
C2P = dict(relative_attention=True, position_buckets=6, max_relative_positions=12, share_att_key=False,
           pos_att_type='c2p', position_biased_input=True)

FIXTURES = {
    'reference-deberta-v3-cls-gelu': (config(32, 8, 2, 2, 32, 24, **V3), 'cls', MAIN_PAIRS, 16, 6301, SPECIAL),
    'reference-deberta-v2-cls-gelu': (config(32, 8, 2, 2, 32, 24, **V2), 'cls', MAIN_PAIRS, 16, 6302, SPECIAL),
    'reference-deberta-c2p-mean-gelu': (config(32, 8, 2, 2, 32, 24, **C2P), 'mean', MAIN_PAIRS, 16, 6303, SPECIAL),
    'reference-deberta-tiny-cls-gelu': (
        config(24, 8, 1, 2, 16, 8, **{**V3, 'position_buckets': 4}), 'cls', TINY_PAIRS, 8, 6304, SPECIAL),
}


def make_log_bucket_position(relative_pos, bucket_size, max_position):
    """modeling_deberta_v2.py, as written there (its logarithms in float32, as torch's default dtype)."""
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = torch.where(
        (relative_pos < mid) & (relative_pos > -mid),
        torch.tensor(mid - 1).type_as(relative_pos),
        torch.abs(relative_pos),
    )
    log_pos = (
        torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    )
    bucket_pos = torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)
    return bucket_pos


def build_relative_position(query_size, key_size, bucket_size=-1, max_position=-1):
    q_ids = torch.arange(0, query_size)
    k_ids = torch.arange(0, key_size)
    rel_pos_ids = q_ids[:, None] - k_ids[None, :]
    if bucket_size > 0 and max_position > 0:
        rel_pos_ids = make_log_bucket_position(rel_pos_ids, bucket_size, max_position)
    rel_pos_ids = rel_pos_ids.to(torch.long)
    rel_pos_ids = rel_pos_ids[:query_size, :]
    return rel_pos_ids.unsqueeze(0)  # [1, Tq, Tk]


def settings(cfg):
    """What DebertaV2Encoder and DisentangledSelfAttention read from the config, with their getattr defaults."""
    max_rel = cfg.get('max_relative_positions', -1)
    if max_rel < 1:
        max_rel = cfg['max_position_embeddings']
    buckets = cfg.get('position_buckets', -1)
    att = cfg.get('pos_att_type') or []
    if isinstance(att, str):
        att = [x.strip() for x in att.lower().split('|')]
    return {
        'max_rel': max_rel, 'buckets': buckets, 'span': buckets if buckets > 0 else max_rel, 'att': att,
        'relative': cfg.get('relative_attention', False), 'share': cfg.get('share_att_key', False),
        'norm_rel': 'layer_norm' in [x.strip() for x in cfg.get('norm_rel_ebd', 'none').lower().split('|')],
        'E': cfg.get('embedding_size', cfg['hidden_size']), 'biased': cfg.get('position_biased_input', True),
    }


def draw_weights(cfg, pooling, gen):
    s = settings(cfg)
    V, E, D, I = cfg['vocab_size'], s['E'], cfg['hidden_size'], cfg['intermediate_size']
    w = {}
    e = 'deberta.embeddings.'
    w[e + 'word_embeddings.weight'] = normal(gen, [V, E], 0.02)
    if s['biased']:
        w[e + 'position_embeddings.weight'] = normal(gen, [cfg['max_position_embeddings'], E], 0.02)
    if cfg['type_vocab_size'] > 0:
        w[e + 'token_type_embeddings.weight'] = normal(gen, [cfg['type_vocab_size'], E], 0.02)
    if E != D:
        w[e + 'embed_proj.weight'] = normal(gen, [D, E], 0.5)  # nn.Linear(E, D, bias=False)
    layer_norm_weights(w, gen, e + 'LayerNorm', D)
    for l in range(cfg['num_hidden_layers']):
        p = f'deberta.encoder.layer.{l}.'
        for m in ('query_proj', 'key_proj', 'value_proj'):
            linear_weights(w, gen, p + 'attention.self.' + m, D, D, 0.5)
        if s['relative'] and not s['share']:
            if 'c2p' in s['att']:
                linear_weights(w, gen, p + 'attention.self.pos_key_proj', D, D, 0.5)
            if 'p2c' in s['att']:
                linear_weights(w, gen, p + 'attention.self.pos_query_proj', D, D, 0.5)
        linear_weights(w, gen, p + 'attention.output.dense', D, D)
        layer_norm_weights(w, gen, p + 'attention.output.LayerNorm', D)
        linear_weights(w, gen, p + 'intermediate.dense', D, I, 0.5)
        linear_weights(w, gen, p + 'output.dense', I, D)
        layer_norm_weights(w, gen, p + 'output.LayerNorm', D)
    if s['relative']:
        # Wide (std 1), so that which relative row a score reads matters.
        w['deberta.encoder.rel_embeddings.weight'] = normal(gen, [2 * s['span'], D], 1.0)
        if s['norm_rel']:
            layer_norm_weights(w, gen, 'deberta.encoder.LayerNorm', D)
    if pooling == 'cls':
        linear_weights(w, gen, 'pooler.dense', D, D, 0.5)
    linear_weights(w, gen, 'classifier', D, 1, 0.5)
    return w


def transpose_for_scores(x, heads):
    """[n, T, D] -> [n * H, T, hs], as DisentangledSelfAttention.transpose_for_scores."""
    x = x.view(x.size()[:-1] + (heads, -1))
    return x.permute(0, 2, 1, 3).contiguous().view(-1, x.size(1), x.size(-1))


def disentangled_attention_bias(w, p, s, query_layer, key_layer, relative_pos, rel_embeddings, scale_factor, H):
    att_span = s['span']
    relative_pos = relative_pos.unsqueeze(1)  # [1, 1, Tq, Tk]
    rel_embeddings = rel_embeddings[0:att_span * 2, :].unsqueeze(0)  # [1, 2 span, D]
    lin = lambda x, name: F.linear(x, w[p + name + '.weight'], w[p + name + '.bias'])
    n = query_layer.size(0) // H
    if s['share']:
        pos_query_layer = transpose_for_scores(lin(rel_embeddings, 'query_proj'), H).repeat(n, 1, 1)
        pos_key_layer = transpose_for_scores(lin(rel_embeddings, 'key_proj'), H).repeat(n, 1, 1)
    else:
        if 'c2p' in s['att']:
            pos_key_layer = transpose_for_scores(lin(rel_embeddings, 'pos_key_proj'), H).repeat(n, 1, 1)
        if 'p2c' in s['att']:
            pos_query_layer = transpose_for_scores(lin(rel_embeddings, 'pos_query_proj'), H).repeat(n, 1, 1)
    score = 0
    if 'c2p' in s['att']:
        scale = math.sqrt(pos_key_layer.size(-1) * scale_factor)
        c2p_att = torch.bmm(query_layer, pos_key_layer.transpose(-1, -2))
        c2p_pos = torch.clamp(relative_pos + att_span, 0, att_span * 2 - 1)
        c2p_att = torch.gather(
            c2p_att, dim=-1,
            index=c2p_pos.squeeze(0).expand([query_layer.size(0), query_layer.size(1), relative_pos.size(-1)]))
        score += c2p_att / scale
    if 'p2c' in s['att']:
        scale = math.sqrt(pos_query_layer.size(-1) * scale_factor)
        r_pos = relative_pos  # queries and keys are the same tokens here
        p2c_pos = torch.clamp(-r_pos + att_span, 0, att_span * 2 - 1)
        p2c_att = torch.bmm(key_layer, pos_query_layer.transpose(-1, -2))
        p2c_att = torch.gather(
            p2c_att, dim=-1,
            index=p2c_pos.squeeze(0).expand([query_layer.size(0), key_layer.size(-2), key_layer.size(-2)]),
        ).transpose(-1, -2)
        score += p2c_att / scale
    return score


def self_attention(w, p, s, cfg, x, attention_mask, relative_pos, rel_embeddings):
    """DisentangledSelfAttention.forward in eval mode: [n, T, D] -> context [n, T, D]."""
    H = cfg['num_attention_heads']
    lin = lambda x, name: F.linear(x, w[p + name + '.weight'], w[p + name + '.bias'])
    query_layer = transpose_for_scores(lin(x, 'query_proj'), H)
    key_layer = transpose_for_scores(lin(x, 'key_proj'), H)
    value_layer = transpose_for_scores(lin(x, 'value_proj'), H)
    scale_factor = 1 + ('c2p' in s['att']) + ('p2c' in s['att'])
    scale = math.sqrt(query_layer.size(-1) * scale_factor)
    attention_scores = torch.bmm(query_layer, key_layer.transpose(-1, -2) / scale)
    if s['relative']:
        attention_scores = attention_scores + disentangled_attention_bias(
            w, p, s, query_layer, key_layer, relative_pos, rel_embeddings, scale_factor, H)
    T = attention_scores.size(-1)
    attention_scores = attention_scores.view(-1, H, T, T)
    attention_scores = attention_scores.masked_fill(~attention_mask.bool(), torch.finfo(x.dtype).min)
    attention_probs = torch.softmax(attention_scores, dim=-1)
    context = torch.bmm(attention_probs.view(-1, T, T), value_layer)
    n, D = x.shape[0], x.shape[2]
    return context.view(-1, H, T, D // H).permute(0, 2, 1, 3).contiguous().view(n, T, D)


def deberta_model(w, cfg, ids, mask):
    s = settings(cfg)
    n, T = ids.shape
    D, eps = cfg['hidden_size'], cfg['layer_norm_eps']
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], eps)
    lin = lambda x, name: F.linear(x, w[name + '.weight'], w[name + '.bias'])
    e = 'deberta.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=cfg['pad_token_id'])
    if s['biased']:
        x = x + w[e + 'position_embeddings.weight'][torch.arange(T)][None]
    if cfg['type_vocab_size'] > 0:
        x = x + F.embedding(token_types(ids, mask, SEP), w[e + 'token_type_embeddings.weight'])
    if s['E'] != D:
        x = F.linear(x, w[e + 'embed_proj.weight'])
    x = ln(x, e + 'LayerNorm') * mask[:, :, None]
    extended = mask[:, None, None, :]
    attention_mask = extended * extended.squeeze(-2).unsqueeze(-1)  # [n, 1, T, T]: query and key both real
    relative_pos = rel_embeddings = None
    if s['relative']:
        relative_pos = build_relative_position(T, T, bucket_size=s['buckets'], max_position=s['max_rel'])
        rel_embeddings = w['deberta.encoder.rel_embeddings.weight']
        if s['norm_rel']:
            rel_embeddings = ln(rel_embeddings, 'deberta.encoder.LayerNorm')
    for l in range(cfg['num_hidden_layers']):
        p = f'deberta.encoder.layer.{l}.'
        context = self_attention(w, p + 'attention.self.', s, cfg, x, attention_mask, relative_pos, rel_embeddings)
        x = ln(lin(context, p + 'attention.output.dense') + x, p + 'attention.output.LayerNorm')
        h = activation(cfg['hidden_act'], lin(x, p + 'intermediate.dense'))
        x = ln(lin(h, p + 'output.dense') + x, p + 'output.LayerNorm')
    return x


def rewards(w, cfg, pooling, ids, mask):
    x = deberta_model(w, cfg, ids, mask)
    if pooling == 'cls':
        pooled = activation(cfg.get('pooler_hidden_act', 'gelu'), F.linear(x[:, 0], w['pooler.dense.weight'], w['pooler.dense.bias']))
    else:
        pooled = pool(x, mask, pooling)
    return F.linear(pooled, w['classifier.weight'], w['classifier.bias']).squeeze(1)


def write_buckets():
    """make_log_bucket_position over -600..600 for v3's own (256, 512) and the fixtures' small settings."""
    deltas = torch.arange(-600, 601)
    cases = []
    for buckets, max_position in [(256, 512), (8, 24), (6, 12), (4, 8), (5, 40)]:
        bucketed = make_log_bucket_position(deltas, buckets, max_position).to(torch.long)
        cases.append({'buckets': buckets, 'maxPosition': max_position, 'bucketed': bucketed.tolist()})
    path = os.path.join(OUT_DIR, 'reference-deberta-buckets.json')
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/reference/deberta_reference.py', 'torch': torch.__version__,
                   'deltas': deltas.tolist(), 'cases': cases}, f, separators=(',', ':'))
        f.write('\n')
    print(f'{path}: {os.path.getsize(path)} bytes', file=sys.stderr)


if __name__ == '__main__':
    write_fixtures(sys.modules[__name__], FIXTURES)
    write_buckets()
