#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's built-in reward model: the pre-LayerNorm
# transformer encoder (src/core/model/encoders/transformer.ts), the linear reward head
# (src/core/model/reward-model.ts) and the pairwise Bradley-Terry loss (src/core/train/loss.ts).
# It is written from the math, not translated from the tfjs code, and writes the fixtures that
# tests/unit/reference.test.ts (cpu, wasm) and tests/browser/reference-webgpu.test.ts (webgpu) compare to.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/reward_model_reference.py
#
# The model, in formulas (B pairs, 2B sequences of T tokens, width D, H heads of hs = D / H):
#   x0      = E_word[ids] + E_pos[0:T]
#   per layer l:
#     h     = LN(x; ln1)              LN(x) = gamma * (x - mean) / sqrt(var + 1e-5) + beta, biased var
#     q,k,v = split(h W_qkv + b_qkv)  each [2B, H, T, hs], q = columns 0:D, k = D:2D, v = 2D:3D
#     a     = softmax(q k^T / sqrt(hs), keys that are padding excluded) v
#     x     = x + merge_heads(a) W_out + b_out
#     x     = x + GELU_tanh(LN(x; ln2) W_in + b_in) W_mlp_out + b_mlp_out
#   z       = LN(x; ln_f)
#   pooled  = z[:, 0] ('cls')  or  sum_t mask_t z_t / sum_t mask_t ('mean')
#   r       = pooled w_head + b_head                      rows 0..B-1 chosen, B..2B-1 rejected
#   loss    = mean_i softplus(r_rejected_i - r_chosen_i + margin_i) = mean -log sigmoid(r_c - r_r - m)
#   acc     = mean_i [r_chosen_i > r_rejected_i]
# Weights are stored as x @ W (W is [in, out]), under the tfjs parameter names.
#
# The weights are drawn here, rounded to float32 (what tfjs holds) and then computed on in float64,
# so the fixtures' only difference from tfjs is tfjs's float32 arithmetic. Embeddings are drawn small
# (std 0.02-0.03, GPT-2's scale) so that the first LayerNorm's input variance is ~1e-3 and its eps
# (1e-5) moves the result by ~0.5%: a changed eps is visible, not lost in float32 noise. The MLP's
# input weights are wide (std 0.5) so GELU's inputs reach |x| ~ 1-3, where the tanh approximation and
# the exact erf GELU differ. Every other weight is N(0, 0.2^2), biases N(0, 0.1^2), LayerNorm gammas
# 1 + N(0, 0.2^2) and betas N(0, 0.1^2): nothing is at its trivial initial value.
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')
PAD_ID = 0
LN_EPS = 1e-5

# name -> (config, pairs, seed). A pair is (chosen ids, rejected ids, margin); id 0 is padding, and
# position 0 stands for [CLS]. T is the bucket makeBatch pads to: 16 for maxLength 24, 8 for maxLength 8.
FIXTURES = {
    # The main fixtures: 2 layers, 3 pairs of varied lengths, repeated token ids (the embedding
    # gradient must sum duplicates), T = 16 < maxLength = 24 (position rows 16..23 get no gradient).
    'reference-{pooling}': (
        dict(vocabSize=40, maxLength=24, dModel=8, nLayers=2, nHeads=2, dFF=32),
        [
            ([1, 5, 9, 9, 2, 17, 23, 2], [1, 5, 9, 9, 2, 31, 2], 0.0),
            ([1, 12, 3, 2, 8, 8, 8, 14, 39, 21, 2, 6, 7, 2, 30, 2], [1, 12, 3, 2, 11, 2], 0.5),
            ([1, 27, 2, 33, 4, 2], [1, 27, 2, 19, 25, 36, 10, 2, 5], -0.25),
        ],
        1234,
    ),
    # The browser's fixtures (WebGPU on a software adapter is slow): 1 layer, 2 pairs, T = 8.
    'reference-tiny-{pooling}': (
        dict(vocabSize=24, maxLength=8, dModel=8, nLayers=1, nHeads=2, dFF=16),
        [
            ([1, 4, 7, 2, 9, 9, 2], [1, 4, 7, 2, 13, 2], 0.0),
            ([1, 20, 2, 5, 2], [1, 20, 2, 11, 18, 23, 6, 2], 1.0),
        ],
        99,
    ),
}


def draw_weights(cfg, gen):
    """Seeded random weights under the tfjs names, rounded to float32, returned as float64."""
    V, L, D, F_, n_layers = cfg['vocabSize'], cfg['maxLength'], cfg['dModel'], cfg['dFF'], cfg['nLayers']

    def normal(shape, std, mean=0.0):
        w = torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean
        return w.to(torch.float32).to(torch.float64)

    w = {'embeddings.word': normal([V, D], 0.03), 'embeddings.position': normal([L, D], 0.02)}
    for l in range(n_layers):
        p = f'layers.{l}'
        w[f'{p}.ln1.gamma'] = normal([D], 0.2, 1.0)
        w[f'{p}.ln1.beta'] = normal([D], 0.1)
        w[f'{p}.attn.qkv.weight'] = normal([D, 3 * D], 0.2)
        w[f'{p}.attn.qkv.bias'] = normal([3 * D], 0.1)
        w[f'{p}.attn.out.weight'] = normal([D, D], 0.2)
        w[f'{p}.attn.out.bias'] = normal([D], 0.1)
        w[f'{p}.ln2.gamma'] = normal([D], 0.2, 1.0)
        w[f'{p}.ln2.beta'] = normal([D], 0.1)
        w[f'{p}.mlp.in.weight'] = normal([D, F_], 0.5)
        w[f'{p}.mlp.in.bias'] = normal([F_], 0.1)
        w[f'{p}.mlp.out.weight'] = normal([F_, D], 0.2)
        w[f'{p}.mlp.out.bias'] = normal([D], 0.1)
    w['ln_f.gamma'] = normal([D], 0.2, 1.0)
    w['ln_f.beta'] = normal([D], 0.1)
    w['head.weight'] = normal([D, 1], 0.5)
    w['head.bias'] = normal([1], 0.1)
    return w


def layer_norm(x, gamma, beta):
    return F.layer_norm(x, (x.shape[-1],), weight=gamma, bias=beta, eps=LN_EPS)


def self_attention(h, key_is_token, w_qkv, b_qkv, w_out, b_out, n_heads):
    n, T, D = h.shape
    hs = D // n_heads
    q, k, v = torch.addmm(b_qkv, h.reshape(n * T, D), w_qkv).reshape(n, T, 3, n_heads, hs).unbind(2)
    # [n, T, H, hs] each; scores[b, h, i, j] = <q_bi, k_bj> / sqrt(hs), -inf on padded keys j.
    scores = torch.einsum('bihd,bjhd->bhij', q, k) / math.sqrt(hs)
    scores = scores.masked_fill(~key_is_token[:, None, None, :], float('-inf'))
    att = torch.softmax(scores, dim=-1)
    y = torch.einsum('bhij,bjhd->bihd', att, v).reshape(n, T, D)
    return y @ w_out + b_out


def rewards(w, cfg, ids, mask, pooling):
    n, T = ids.shape
    x = F.embedding(ids, w['embeddings.word']) + w['embeddings.position'][:T]
    key_is_token = mask > 0
    for l in range(cfg['nLayers']):
        p = f'layers.{l}.'
        h = layer_norm(x, w[p + 'ln1.gamma'], w[p + 'ln1.beta'])
        x = x + self_attention(h, key_is_token, w[p + 'attn.qkv.weight'], w[p + 'attn.qkv.bias'],
                               w[p + 'attn.out.weight'], w[p + 'attn.out.bias'], cfg['nHeads'])
        h = layer_norm(x, w[p + 'ln2.gamma'], w[p + 'ln2.beta'])
        x = x + F.gelu(h @ w[p + 'mlp.in.weight'] + w[p + 'mlp.in.bias'], approximate='tanh') @ w[p + 'mlp.out.weight'] \
            + w[p + 'mlp.out.bias']
    z = layer_norm(x, w['ln_f.gamma'], w['ln_f.beta'])
    if pooling == 'cls':
        pooled = z[:, 0, :]
    else:
        pooled = (z * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    return (pooled @ w['head.weight']).squeeze(1) + w['head.bias']


def bradley_terry(r, margin):
    B = margin.shape[0]
    r_chosen, r_rejected = r[:B], r[B:]
    loss = F.softplus(r_rejected - r_chosen + margin).mean()
    accuracy = (r_chosen > r_rejected).to(torch.float64).mean()
    return loss, accuracy


def check_gradient(name, params, loss_of, gen, h=1e-6):
    """The reference checks itself: autograd's directional derivative against a central difference."""
    direction = {k: torch.randn(v.shape, generator=gen, dtype=torch.float64) for k, v in params.items()}
    with torch.no_grad():
        plus = loss_of({k: v + h * direction[k] for k, v in params.items()}).item()
        minus = loss_of({k: v - h * direction[k] for k, v in params.items()}).item()
    numeric = (plus - minus) / (2 * h)
    analytic = sum((params[k].grad * direction[k]).sum().item() for k in params)
    assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), f'{name}: gradient check {numeric} vs {analytic}'


def flat(t, digits):
    return [float(f'{v:.{digits}g}') for v in t.detach().reshape(-1).tolist()]


def build(name, cfg, pairs, seed, pooling):
    gen = torch.Generator().manual_seed(seed)
    w = draw_weights(cfg, gen)
    seqs = [c for c, _, _ in pairs] + [rj for _, rj, _ in pairs]  # chosen rows, then rejected rows
    T = 16 if cfg['maxLength'] > 16 else cfg['maxLength']  # makeBatch's bucket for sequences <= 16 tokens
    assert max(len(s) for s in seqs) <= T
    ids = torch.full((len(seqs), T), PAD_ID, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.float64)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(s)
        mask[row, :len(s)] = 1
    margin = torch.tensor([m for _, _, m in pairs], dtype=torch.float64)

    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    r = rewards(params, cfg, ids, mask, pooling)
    loss, accuracy = bradley_terry(r, margin)
    loss.backward()

    check_gradient(name, params, lambda ws: bradley_terry(rewards(ws, cfg, ids, mask, pooling), margin)[0], gen)
    B = len(pairs)
    gaps = (r[:B] - r[B:]).abs().min().item()
    assert gaps > 1e-3, f'{name}: a chosen and a rejected reward are within {gaps:.2g}; accuracy would be fragile'
    return {
        'description': 'float64 PyTorch reference for the built-in reward model; see the generator for the math',
        'generator': 'scripts/reference/reward_model_reference.py',
        'torch': torch.__version__,
        'config': {**cfg, 'pooling': pooling},
        'seed': seed,
        'padId': PAD_ID,
        'pairs': [{'chosen': c, 'rejected': rj, 'margin': m} for c, rj, m in pairs],
        'batch': {'ids': ids.tolist(), 'mask': mask.to(torch.int64).tolist(), 'margin': margin.tolist()},
        # float32 values, written with enough digits (9) to round-trip exactly
        'weights': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in w.items()],
        'expected': {
            'rewards': flat(r, 12),
            'loss': float(f'{loss.item():.12g}'),
            'accuracy': accuracy.item(),
        },
        'grads': [{'name': k, 'shape': list(v.shape), 'data': flat(v.grad, 10)} for k, v in params.items()],
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # One thread: the same summation order every run, so regenerating rewrites the fixtures byte for byte
    # (with several, gradients that are zero in exact arithmetic came out as different 1e-17 noise).
    torch.set_num_threads(1)
    for pattern, (cfg, pairs, seed) in FIXTURES.items():
        for pooling in ('cls', 'mean'):
            name = pattern.format(pooling=pooling)
            fixture = build(name, cfg, pairs, seed, pooling)
            path = os.path.join(OUT_DIR, name + '.json')
            with open(path, 'w') as f:
                json.dump(fixture, f, separators=(',', ':'))
                f.write('\n')
            e = fixture['expected']
            print(f'{path}: {os.path.getsize(path)} bytes, rewards {e["rewards"]}, loss {e["loss"]:.6f}, '
                  f'accuracy {e["accuracy"]:.3f}', file=sys.stderr)


if __name__ == '__main__':
    main()
