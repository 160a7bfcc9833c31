#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's training core: the loss variants
# (src/core/train/loss.ts) and the optimizer step (src/core/train/optimizer.ts, schedule.ts and the
# trainer's clipping and accumulation). It writes tests/fixtures/training-reference.json, which
# tests/unit/training-reference.test.ts compares with on the cpu and wasm backends.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/training_reference.py
#
# The losses are written from their probability models, not from RM Lab's closed forms:
#   z_c = r_chosen - margin  (TRL subtracts the margin from the chosen side's advantage)
#   Bradley-Terry: P(c) = sigmoid(z_c - r_r), loss_i = -(w_c log P(c) + w_r log (1 - P(c)))
#   Davidson:      D = e^{z_c} + e^{r_r} + nu e^{(z_c + r_r)/2}, P(c) = e^{z_c}/D, P(r) = e^{r_r}/D,
#                  P(tie) = nu e^{(z_c + r_r)/2}/D, loss_i = -(w_c log P(c) + w_r log P(r) + w_t log P(tie)),
#                  log D by torch.logsumexp
#   centering:     + coef (r_c + r_r)^2 per pair (TRL's center_rewards_coefficient * mean(...))
#   batch loss = mean_i loss_i; the fixture holds it and its gradient w.r.t. every reward.
#
# The optimizer steps use torch's own pieces: torch.optim.AdamW (betas 0.9, 0.999, eps 1e-8) with two
# parameter groups as the HF Trainer makes them (no decay for biases and LayerNorm weights, chosen here
# by name), torch.optim.lr_scheduler.LambdaLR with HF's linear / cosine warmup lambdas, gradient
# accumulation by calling backward() on each micro-batch's summed loss over the step's pair count, and
# torch.nn.utils.clip_grad_norm_ before each step. The model is the built-in reward model of
# reward_model_reference.py, from seeded float32-rounded weights, over batches of fixed token ids.
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reward_model_reference import OUT_DIR, PAD_ID, draw_weights, rewards  # noqa: E402

NO_DECAY = ('.bias', '.gamma', '.beta')  # biases and LayerNorm weights, by name (HF's rule)


def flat(t, digits=12):
    return [float(f'{v:.{digits}g}') for v in t.detach().reshape(-1).tolist()]


# ---- losses on given rewards -------------------------------------------------------------------

def pair_losses(rc, rr, margin, w, ties, nu, center):
    zc = rc - margin
    if ties == 'davidson':
        log_nu = math.log(nu)
        log_d = torch.logsumexp(torch.stack([zc, rr, log_nu + (zc + rr) / 2]), dim=0)
        loss = -(w[:, 0] * (zc - log_d) + w[:, 1] * (rr - log_d) + w[:, 2] * (log_nu + (zc + rr) / 2 - log_d))
    else:
        p_chosen = torch.sigmoid(zc - rr)
        loss = -(w[:, 0] * torch.log(p_chosen) + w[:, 1] * torch.log1p(-p_chosen))
    if center > 0:
        loss = loss + center * (rc + rr) ** 2
    return loss


# Six pairs: plain wins, a margin, a soft 2-of-3 vote, a tie, a tie with a split vote, and a large
# reward gap (log1p(-sigmoid) is exact in float64 at z = -12).
LOSS_REWARDS = {
    'chosen': [0.8, -0.3, 1.7, 0.2, -1.1, 6.0],
    'rejected': [0.1, 0.4, -0.6, 0.5, -0.9, -6.0],
    'margin': [0.0, 0.5, 0.0, 0.0, 0.0, 0.0],
}
HARD = [[1, 0, 0]] * 4 + [[1, 0, 0]] * 2
SOFT_BT = [[1, 0, 0], [1, 0, 0], [2 / 3, 1 / 3, 0], [0.5, 0.5, 0], [1 / 2, 1 / 2, 0], [1, 0, 0]]
SOFT_DAVIDSON = [[1, 0, 0], [1, 0, 0], [2 / 3, 1 / 3, 0], [0, 0, 1], [1 / 3, 0, 2 / 3], [1, 0, 0]]
LOSS_CASES = [
    # name, ties, nu, center, outcome weights
    ('bradley-terry', 'drop', 1.0, 0.0, HARD),
    ('bradley-terry-centered', 'drop', 1.0, 0.1, HARD),
    ('bradley-terry-soft', 'drop', 1.0, 0.0, SOFT_BT),
    ('davidson', 'davidson', 0.7, 0.0, SOFT_DAVIDSON),
    ('davidson-centered-nu2', 'davidson', 2.0, 0.05, SOFT_DAVIDSON),
    ('davidson-small-nu', 'davidson', 1e-4, 0.0, HARD),
]


# Per-pair sample weights (pairs derived from implicit feedback carry their rule's): the batch loss is
# the weighted mean sum_i w_i loss_i / sum_i w_i (src/core/train/loss.ts weightedLossShare).
SAMPLE_WEIGHTS = [1.0, 0.5, 0.3, 2.0, 0.8, 1.5]
WEIGHTED_LOSS_CASES = [
    ('bradley-terry-weighted', 'drop', 1.0, 0.0, HARD),
    ('davidson-centered-weighted', 'davidson', 0.7, 0.05, SOFT_DAVIDSON),
]


def weighted_loss_fixtures():
    out = []
    for name, ties, nu, center, outcome in WEIGHTED_LOSS_CASES:
        rc = torch.tensor(LOSS_REWARDS['chosen'], dtype=torch.float64, requires_grad=True)
        rr = torch.tensor(LOSS_REWARDS['rejected'], dtype=torch.float64, requires_grad=True)
        margin = torch.tensor(LOSS_REWARDS['margin'], dtype=torch.float64)
        w = torch.tensor(outcome, dtype=torch.float64)
        sw = torch.tensor(SAMPLE_WEIGHTS, dtype=torch.float64)
        loss = (sw * pair_losses(rc, rr, margin, w, ties, nu, center)).sum() / sw.sum()
        loss.backward()
        out.append({
            'name': name, 'ties': ties, 'tieNu': nu, 'centerRewards': center,
            'outcome': [{'chosen': a, 'rejected': b, 'tie': t} for a, b, t in outcome],
            'weights': SAMPLE_WEIGHTS,
            'loss': float(f'{loss.item():.15g}'),
            'gradChosen': flat(rc.grad, 15), 'gradRejected': flat(rr.grad, 15),
        })
    return out


def loss_fixtures():
    out = []
    for name, ties, nu, center, outcome in LOSS_CASES:
        rc = torch.tensor(LOSS_REWARDS['chosen'], dtype=torch.float64, requires_grad=True)
        rr = torch.tensor(LOSS_REWARDS['rejected'], dtype=torch.float64, requires_grad=True)
        margin = torch.tensor(LOSS_REWARDS['margin'], dtype=torch.float64)
        w = torch.tensor(outcome, dtype=torch.float64)
        loss = pair_losses(rc, rr, margin, w, ties, nu, center).mean()
        loss.backward()
        out.append({
            'name': name, 'ties': ties, 'tieNu': nu, 'centerRewards': center,
            'outcome': [{'chosen': a, 'rejected': b, 'tie': t} for a, b, t in outcome],
            'loss': float(f'{loss.item():.15g}'),
            'gradChosen': flat(rc.grad, 15), 'gradRejected': flat(rr.grad, 15),
        })
    return out


# ---- optimizer steps on the built-in model -----------------------------------------------------

MODEL = dict(vocabSize=24, maxLength=8, dModel=8, nLayers=1, nHeads=2, dFF=16)
# Micro-batches of (chosen ids, rejected ids, margin, outcome). T = 8 for maxLength 8.
PAIRS = [
    ([1, 4, 7, 2, 9, 9, 2], [1, 4, 7, 2, 13, 2], 0.0, [1, 0, 0]),
    ([1, 20, 2, 5, 2], [1, 20, 2, 11, 18, 23, 6, 2], 0.5, [1, 0, 0]),
    ([1, 3, 8, 2, 15, 2], [1, 3, 8, 2, 16, 17, 2], 0.0, [2 / 3, 1 / 3, 0]),
    ([1, 10, 2, 12, 12, 2], [1, 10, 2, 19, 2], 0.0, [0, 0, 1]),  # a tie (A in the chosen row)
    ([1, 21, 22, 2, 14, 2], [1, 21, 22, 2, 5, 6, 7, 2], -0.25, [1, 0, 0]),
]
# Each step reads these micro-batches (indices into PAIRS): accumulation 2, the last step short.
STEPS = [[[0, 1], [2, 3]], [[4, 0], [1, 2]], [[3, 4], [0]], [[2, 3], [4, 1]], [[0, 2], [3]]]

# A case with per-pair sample weights (indexed like PAIRS): each step's loss is sum_i w_i loss_i over
# its micro-batches divided by the step's weight total.
PAIR_WEIGHTS = [2.0, 0.5, 1.0, 0.3, 1.5]

OPT_CASES = [
    # Bradley-Terry: the tie and the soft vote count as halves (as data.ts makes them under 'drop').
    dict(name='adamw-linear-warmup-bt', lrSchedule='linear', warmupRatio=0.0, warmupSteps=2, learningRate=0.02,
         weightDecay=0.1, maxGradNorm=3.0, ties='drop', tieNu=1.0, centerRewards=0.0, seed=7),
    dict(name='adamw-cosine-davidson-centered', lrSchedule='cosine', warmupRatio=0.2, warmupSteps=0,
         learningRate=0.03, weightDecay=0.05, maxGradNorm=10.0, ties='davidson', tieNu=0.8, centerRewards=0.05,
         seed=11),
    dict(name='adam-constant-no-clip', lrSchedule='constant', warmupRatio=0.0, warmupSteps=0, learningRate=0.01,
         weightDecay=0.0, maxGradNorm=0.0, ties='drop', tieNu=1.0, centerRewards=0.0, seed=13),
    dict(name='adamw-linear-weighted-bt', lrSchedule='linear', warmupRatio=0.0, warmupSteps=1, learningRate=0.02,
         weightDecay=0.1, maxGradNorm=3.0, ties='drop', tieNu=1.0, centerRewards=0.0, seed=17, weights=PAIR_WEIGHTS),
]


def hf_lambda(kind, warmup, total):
    def f(s):
        if s < warmup:
            return s / max(1, warmup)
        if kind == 'constant':
            return 1.0
        progress = (s - warmup) / max(1, total - warmup)
        if kind == 'linear':
            return max(0.0, (total - s) / max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    return f


def bt_outcome(w):
    """Under Bradley-Terry a tie share counts half for each side."""
    return [w[0] + w[2] / 2, w[1] + w[2] / 2, 0.0]


def batch_of(indices, case):
    rows = [PAIRS[i][0] for i in indices] + [PAIRS[i][1] for i in indices]
    T = MODEL['maxLength']
    ids = torch.full((len(rows), T), PAD_ID, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.float64)
    for r, s in enumerate(rows):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    margin = torch.tensor([PAIRS[i][2] for i in indices], dtype=torch.float64)
    outcome = [PAIRS[i][3] if case['ties'] == 'davidson' else bt_outcome(PAIRS[i][3]) for i in indices]
    return ids, mask, margin, torch.tensor(outcome, dtype=torch.float64)


def optimizer_fixture(case):
    gen = torch.Generator().manual_seed(case['seed'])
    start = draw_weights(MODEL, gen)
    params = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    groups = [
        {'params': [p for k, p in params.items() if not k.endswith(NO_DECAY)], 'weight_decay': case['weightDecay']},
        {'params': [p for k, p in params.items() if k.endswith(NO_DECAY)], 'weight_decay': 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=case['learningRate'], betas=(0.9, 0.999), eps=1e-8)
    total = len(STEPS)
    warmup = case['warmupSteps'] if case['warmupSteps'] > 0 else math.ceil(total * case['warmupRatio'])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_lambda(case['lrSchedule'], warmup, total))
    cfg = {**MODEL, 'pooling': 'cls'}
    log = []
    # Entries whose gradient is zero in exact arithmetic at every step (see the test's header).
    zero_grad = {k: torch.ones_like(v, dtype=torch.bool) for k, v in params.items()}
    for micro in STEPS:
        weights = case.get('weights') or [1.0] * len(PAIRS)
        n = sum(weights[i] for m in micro for i in m)
        opt.zero_grad()
        step_loss = 0.0
        for indices in micro:
            ids, mask, margin, w = batch_of(indices, case)
            r = rewards(params, cfg, ids, mask, 'cls')
            B = len(indices)
            sw = torch.tensor([weights[i] for i in indices], dtype=torch.float64)
            losses = pair_losses(r[:B], r[B:], margin, w, case['ties'], case['tieNu'], case['centerRewards'])
            loss = (sw * losses).sum() / n
            loss.backward()
            step_loss += loss.item()
        for k, p in params.items():
            zero_grad[k] &= p.grad.abs() < 1e-12
        lr = opt.param_groups[0]['lr']
        if case['maxGradNorm'] > 0:
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), case['maxGradNorm']).item()
        else:
            norm = math.sqrt(sum((p.grad ** 2).sum().item() for p in params.values()))
        opt.step()
        sched.step()
        log.append({'loss': step_loss, 'gradNorm': norm, 'learningRate': lr})
    clipped = [s['gradNorm'] > case['maxGradNorm'] for s in log] if case['maxGradNorm'] > 0 else []
    return {
        **case,
        'gradAccumulation': 2,
        'batchSize': 2,
        'steps': STEPS,
        'log': [{k: float(f'{v:.15g}') for k, v in s.items()} for s in log],
        'clippedSteps': sum(clipped),
        # flat indices, per parameter, of entries with no gradient in exact arithmetic
        'zeroGradient': {k: z.reshape(-1).nonzero().reshape(-1).tolist() for k, z in zero_grad.items() if z.any()},
        'start': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in start.items()],
        'end': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 12)} for k, v in params.items()],
    }


def main():
    torch.set_num_threads(1)  # one summation order: regenerating rewrites the fixture byte for byte
    fixture = {
        'description': 'float64 PyTorch reference for the losses and optimizer steps; see the generator for the math',
        'generator': 'scripts/reference/training_reference.py',
        'torch': torch.__version__,
        'model': {**MODEL, 'pooling': 'cls'},
        'padId': PAD_ID,
        'losses': {'rewards': LOSS_REWARDS, 'cases': loss_fixtures(), 'weighted': weighted_loss_fixtures()},
        'pairs': [{'chosen': c, 'rejected': r, 'margin': m, 'outcome': {'chosen': w[0], 'rejected': w[1], 'tie': w[2]}}
                  for c, r, m, w in PAIRS],
        'optimizer': [optimizer_fixture(c) for c in OPT_CASES],
    }
    path = os.path.join(OUT_DIR, 'training-reference.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    for c in fixture['losses']['cases']:
        print(f"{c['name']}: loss {c['loss']:.6f}", file=sys.stderr)
    for o in fixture['optimizer']:
        print(f"{o['name']}: losses {[round(s['loss'], 5) for s in o['log']]}, norms "
              f"{[round(s['gradNorm'], 4) for s in o['log']]}, lrs {[round(s['learningRate'], 5) for s in o['log']]}, "
              f"clipped {o['clippedSteps']}", file=sys.stderr)
    print(f'{path}: {os.path.getsize(path)} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
