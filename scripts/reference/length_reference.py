#!/usr/bin/python3
# An independent float64 PyTorch reference for the reward's length term and ODIN's decorrelation
# penalty (src/core/model/reward-model.ts rewardParts, src/core/train/loss.ts
# lengthCorrelationPenalty, src/core/train/trainer.ts microBatchLoss). It writes
# tests/fixtures/length-reference.json, which tests/unit/length-reference.test.ts compares with on
# the cpu and wasm backends.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/length_reference.py
#
# The model is the built-in reward model of reward_model_reference.py (2 layers, mean pooling, seeded
# float32-rounded weights) plus a length weight w:
#   quality_i = head(encoder(ids_i))
#   length_i  = w * 32 * log(1 + n_i)        n_i: the response's token count before truncation
#   r_i       = quality_i + length_i
#   loss      = mean_pairs softplus(r_rejected - r_chosen)                         ('term')
#             + lambda * |pearson(quality, log(1 + n))| over all 2B responses     ('odin' adds this)
# Pearson's r written from its definition (centred sums), not from RM Lab's expression of it.
# Each case holds the rewards, both parts, the loss and its gradient for every parameter, w included.
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reward_model_reference import OUT_DIR, PAD_ID, check_gradient, draw_weights, flat, rewards  # noqa: E402

LENGTH_SCALE = 32  # reward-model.ts LENGTH_SCALE
CFG = dict(vocabSize=40, maxLength=24, dModel=8, nLayers=2, nHeads=2, dFF=32)
POOLING = 'mean'
# (chosen ids, rejected ids, chosen response tokens before truncation, rejected ones): the counts
# are not the sequences' lengths, as when Max tokens cut the responses.
PAIRS = [
    ([1, 5, 9, 9, 2, 17, 23, 2], [1, 5, 9, 9, 2, 31, 2], 40, 3),
    ([1, 12, 3, 2, 8, 8, 8, 14, 39, 21, 2, 6, 7, 2, 30, 2], [1, 12, 3, 2, 11, 2], 250, 2),
    ([1, 27, 2, 33, 4, 2], [1, 27, 2, 19, 25, 36, 10, 2, 5], 2, 7),
    ([1, 7, 7, 2, 18, 2], [1, 7, 7, 2, 22, 26, 29, 2], 1, 90),
]
LENGTH_WEIGHT = 0.0125
CASES = [('term', 0.0), ('odin', 1.0), ('odin-weight-3', 3.0)]


def pearson(x, y):
    xc, yc = x - x.mean(), y - y.mean()
    return (xc * yc).sum() / torch.sqrt((xc * xc).sum() * (yc * yc).sum())


def forward(params, ids, mask, n_tokens, odin_weight):
    quality = rewards(params, CFG, ids, mask, POOLING)
    log_len = torch.log1p(n_tokens)
    length = params['length.weight'] * LENGTH_SCALE * log_len
    r = quality + length
    B = len(PAIRS)
    loss = F.softplus(r[B:] - r[:B]).mean()
    if odin_weight > 0:
        loss = loss + odin_weight * pearson(quality, log_len).abs()
    return r, quality, length, loss


def build(name, odin_weight):
    gen = torch.Generator().manual_seed(4321)
    w = draw_weights(CFG, gen)
    w['length.weight'] = torch.tensor([LENGTH_WEIGHT], dtype=torch.float32).to(torch.float64)
    seqs = [c for c, _, _, _ in PAIRS] + [rj for _, rj, _, _ in PAIRS]  # chosen rows, then rejected rows
    T = 16  # makeBatch's bucket for sequences of at most 16 tokens under maxLength 24
    ids = torch.full((len(seqs), T), PAD_ID, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.float64)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(s)
        mask[row, :len(s)] = 1
    n_tokens = torch.tensor([p[2] for p in PAIRS] + [p[3] for p in PAIRS], dtype=torch.float64)

    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    r, quality, length, loss = forward(params, ids, mask, n_tokens, odin_weight)
    loss.backward()
    check_gradient(name, params, lambda ws: forward(ws, ids, mask, n_tokens, odin_weight)[3], gen)
    return {
        'name': name,
        'odinWeight': odin_weight,
        'weights': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in w.items()],
        'expected': {
            'rewards': flat(r, 12),
            'quality': flat(quality, 12),
            'length': flat(length, 12),
            'loss': float(f'{loss.item():.12g}'),
            'correlation': float(f'{pearson(quality, torch.log1p(n_tokens)).item():.12g}'),
        },
        'grads': [{'name': k, 'shape': list(v.shape), 'data': flat(v.grad, 10)} for k, v in params.items()],
    }


def main():
    torch.set_num_threads(1)  # the same summation order every run: the fixture regenerates byte for byte
    fixture = {
        'description': "float64 PyTorch reference for the reward's length term and ODIN's penalty; see the generator",
        'generator': 'scripts/reference/length_reference.py',
        'torch': torch.__version__,
        'config': {**CFG, 'pooling': POOLING},
        'lengthScale': LENGTH_SCALE,
        'padId': PAD_ID,
        'pairs': [{'chosen': c, 'rejected': rj, 'chosenLength': nc, 'rejectedLength': nr} for c, rj, nc, nr in PAIRS],
        'cases': [build(name, weight) for name, weight in CASES],
    }
    path = os.path.join(OUT_DIR, 'length-reference.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    for c in fixture['cases']:
        print(f"{c['name']}: loss {c['expected']['loss']:.6f}, corr {c['expected']['correlation']:.4f}", file=sys.stderr)


if __name__ == '__main__':
    main()
