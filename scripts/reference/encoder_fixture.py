#!/usr/bin/python3
# What every encoder family's PyTorch reference shares (distilbert_reference.py, roberta_reference.py,
# electra_reference.py): seeded float32-rounded weights computed on in float64, the pairs batched as
# RM Lab batches them (the B chosen rows, then the B rejected rows, padded on the right), the
# Bradley-Terry loss, autograd's gradient checked against a central difference, and the fixture
# JSON that tests/encoder-reference-fixture.ts reads (the same layout as bert_reference.py's).
# Each family supplies draw_weights(cfg, pooling, gen) under HF's *ForSequenceClassification names
# and rewards(w, cfg, pooling, ids, mask) written from its modeling_*.py.
import json
import os
import sys

import torch

from bert_reference import bradley_terry, check_gradient, flat, token_types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')


def normal(gen, shape, std, mean=0.0):
    """N(mean, std^2) drawn in float64, rounded to float32 (what tfjs holds), back to float64."""
    w = torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean
    return w.to(torch.float32).to(torch.float64)


def batch(pairs, T, pad):
    seqs = [c for c, _, _ in pairs] + [rj for _, rj, _ in pairs]  # chosen rows, then rejected rows
    assert max(len(s) for s in seqs) <= T
    ids = torch.full((len(seqs), T), pad, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.float64)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(s)
        mask[row, :len(s)] = 1
    return ids, mask


def build(name, family, cfg, pooling, pairs, T, seed, special):
    """One fixture: weights, batch, rewards, loss, accuracy and every gradient under HF's names."""
    gen = torch.Generator().manual_seed(seed)
    w = family.draw_weights(cfg, pooling, gen)
    ids, mask = batch(pairs, T, special['padTokenId'])
    margin = torch.tensor([m for _, _, m in pairs], dtype=torch.float64)
    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    r = family.rewards(params, cfg, pooling, ids, mask)
    loss, accuracy = bradley_terry(r, margin)
    loss.backward()
    loss_of = lambda ws: bradley_terry(family.rewards(ws, cfg, pooling, ids, mask), margin)[0]
    check_gradient(name, params, loss_of, gen)
    B = len(pairs)
    gap = (r[:B] - r[B:]).abs().min().item()
    assert gap > 1e-3, f'{name}: a chosen and a rejected reward are within {gap:.2g}; accuracy would be fragile'
    return {
        'description': f'float64 PyTorch reference for the {cfg["model_type"]} reward model; see the generator',
        'generator': f'scripts/reference/{os.path.basename(family.__file__)}',
        'torch': torch.__version__,
        'config': cfg,
        'special': special,
        'pooling': pooling,
        'seed': seed,
        'pairs': [{'chosen': c, 'rejected': rj, 'margin': m} for c, rj, m in pairs],
        'batch': {'ids': ids.tolist(), 'mask': mask.to(torch.int64).tolist(),
                  'tokenTypes': token_types(ids, mask, special['sepTokenId']).tolist(), 'margin': margin.tolist()},
        'weights': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in w.items()],
        'expected': {'rewards': flat(r, 12), 'loss': float(f'{loss.item():.12g}'), 'accuracy': accuracy.item()},
        'grads': [{'name': k, 'shape': list(v.shape), 'data': flat(v.grad, 10)} for k, v in params.items()],
    }


def write_fixtures(family, fixtures):
    """fixtures: name -> (config, pooling, pairs, T, seed, special). Writes tests/fixtures/NAME.json."""
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)  # one summation order: regenerating rewrites the fixtures byte for byte
    for name, (cfg, pooling, pairs, T, seed, special) in fixtures.items():
        fixture = build(name, family, cfg, pooling, pairs, T, seed, special)
        path = os.path.join(OUT_DIR, name + '.json')
        with open(path, 'w') as f:
            json.dump(fixture, f, separators=(',', ':'))
            f.write('\n')
        e = fixture['expected']
        print(f'{path}: {os.path.getsize(path)} bytes, rewards {e["rewards"]}, loss {e["loss"]:.6f}', file=sys.stderr)


def linear_weights(w, gen, name, n_in, n_out, std=0.2):
    w[name + '.weight'] = normal(gen, [n_out, n_in], std)  # nn.Linear: [out, in]
    w[name + '.bias'] = normal(gen, [n_out], 0.1)


def layer_norm_weights(w, gen, name, width):
    w[name + '.weight'] = normal(gen, [width], 0.2, 1.0)
    w[name + '.bias'] = normal(gen, [width], 0.1)


def bert_layers(w, cfg, prefix, x, mask):
    """BertEncoder's layers (modeling_bert.py BertLayer, which RobertaLayer and ElectraLayer copy), eval mode."""
    import math
    import torch.nn.functional as F
    from bert_reference import activation
    n, T, D = x.shape
    H, eps = cfg['num_attention_heads'], cfg['layer_norm_eps']
    hs = D // H
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], eps)
    lin = lambda x, name: F.linear(x, w[name + '.weight'], w[name + '.bias'])
    extended = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float64).min  # [n, 1, 1, T]
    for l in range(cfg['num_hidden_layers']):
        p = f'{prefix}encoder.layer.{l}.'
        heads = lambda t: t.view(n, T, H, hs).permute(0, 2, 1, 3)  # [n, H, T, hs]
        q, k, v = (heads(lin(x, p + 'attention.self.' + m)) for m in ('query', 'key', 'value'))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hs) + extended
        context = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(n, T, D)
        x = ln(lin(context, p + 'attention.output.dense') + x, p + 'attention.output.LayerNorm')
        h = activation(cfg['hidden_act'], lin(x, p + 'intermediate.dense'))
        x = ln(lin(h, p + 'output.dense') + x, p + 'output.LayerNorm')
    return x


def pool(x, mask, pooling):
    """'mean' over real tokens, or the 'last' real token (right padding); 'cls' pooling is each head's own."""
    if pooling == 'mean':
        return (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    assert pooling == 'last', pooling
    last = mask.sum(1).to(torch.long) - 1  # right padding: the last real token's index
    return x[torch.arange(x.shape[0]), last]
