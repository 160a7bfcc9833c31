# What the decoder references (gpt2_reference.py, llama_reference.py) share: the batch of pairs
# padded on either side, last-token pooling from the attention mask, the score head (no bias), the
# Bradley-Terry loss, the self-check of the gradient, the fixture's JSON, and scoring an exported
# *ForSequenceClassification folder. Not run on its own.
import json
import os
import sys

import torch
import torch.nn.functional as F

from bert_reference import bradley_terry, check_gradient, flat, read_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')


def batch(pairs, T, pad, side):
    """ids [2B, T] and mask [2B, T] (float64): chosen rows, then rejected rows, padded on `side`."""
    seqs = [c for c, _, _ in pairs] + [rj for _, rj, _ in pairs]
    assert max(len(s) for s in seqs) <= T
    ids = torch.full((len(seqs), T), pad, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.float64)
    for row, s in enumerate(seqs):
        start = 0 if side == 'right' else T - len(s)
        ids[row, start:start + len(s)] = torch.tensor(s)
        mask[row, start:start + len(s)] = 1
    return ids, mask


def last_token(mask):
    """The rightmost position whose mask is 1, per row: right padding and left padding alike."""
    T = mask.shape[1]
    return (torch.arange(T, dtype=torch.float64)[None] * mask).argmax(1)


def attention_allowed(mask, causal=True):
    """[n, 1, T, T]: key <= query and the key is a real token (HF's causal mask + padding mask).
    causal=False drops the causal part: only the fixtures' self-check uses it, to show it matters."""
    T = mask.shape[1]
    lower = torch.ones(T, T, dtype=torch.bool).tril() if causal else torch.ones(T, T, dtype=torch.bool)
    return lower[None, None] & (mask[:, None, None, :] > 0)


def attend(q, k, v, allowed):
    """softmax(q k^T / sqrt(hs), masked) v for q [n, H, T, hs], k and v [n, H, T, hs] (already repeated)."""
    scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
    # masked_fill, not an added bias: a fully masked row (a left-pad query) stays finite (uniform)
    scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) @ v


def build(name, cfg, pairs, T, side, seed, draw_weights, hidden_states, prefix, generator):
    """The fixture: weights under HF's *ForSequenceClassification names, the batch, rewards, loss, gradients."""
    gen = torch.Generator().manual_seed(seed)
    w = draw_weights(cfg, gen)
    ids, mask = batch(pairs, T, cfg['pad_token_id'], side)
    margin = torch.tensor([m for _, _, m in pairs], dtype=torch.float64)

    def rewards(ws, causal=True):
        x = hidden_states(ws, cfg, ids, mask, causal)  # [n, T, D], after the final norm
        pooled = x[torch.arange(x.shape[0]), last_token(mask)]  # [n, D]
        return F.linear(pooled, ws['score.weight']).squeeze(1)  # score: Linear(D, 1, bias=False)

    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    r = rewards(params)
    loss, accuracy = bradley_terry(r, margin)
    loss.backward()
    # h = 1e-7: the small embeddings under RMSNorm curve the loss enough that 1e-6 leaves a 3e-6 truncation error
    check_gradient(name, params, lambda ws: bradley_terry(rewards(ws), margin)[0], gen, h=1e-7)
    B = len(pairs)
    gap = (r[:B] - r[B:]).abs().min().item()
    assert gap > 1e-3, f'{name}: a chosen and a rejected reward are within {gap:.2g}; accuracy would be fragile'
    if cfg.get('n_layer', cfg.get('num_hidden_layers')) > 1:
        # With one layer the last token's own row has every key it may see either way; from two on,
        # the earlier tokens' rows differ without the causal mask, and so must the rewards.
        with torch.no_grad():
            moved = (rewards(w, causal=False) - rewards(w)).abs().max().item()
        assert moved > 1e-3, f'{name}: dropping the causal mask moves the rewards by only {moved:.2g}'
    assert prefix + 'embed_tokens.weight' in w or prefix + 'wte.weight' in w
    return {
        'description': 'float64 PyTorch reference for a decoder reward model; see the generator for the math',
        'generator': generator,
        'torch': torch.__version__,
        'config': cfg,
        'padding': side,
        'seed': seed,
        'pairs': [{'chosen': c, 'rejected': rj, 'margin': m} for c, rj, m in pairs],
        'batch': {'ids': ids.tolist(), 'mask': mask.to(torch.int64).tolist(), 'margin': margin.tolist(),
                  'lastToken': last_token(mask).tolist()},
        'weights': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in w.items()],
        'expected': {'rewards': flat(r, 12), 'loss': float(f'{loss.item():.12g}'), 'accuracy': accuracy.item()},
        'grads': [{'name': k, 'shape': list(v.shape), 'data': flat(v.grad, 10)} for k, v in params.items()],
    }


def write_all(fixtures, build_one):
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)  # one summation order: regenerating rewrites the fixtures byte for byte
    for name, args in fixtures.items():
        fixture = build_one(name, *args)
        path = os.path.join(OUT_DIR, name + '.json')
        with open(path, 'w') as f:
            json.dump(fixture, f, separators=(',', ':'))
            f.write('\n')
        e = fixture['expected']
        print(f'{path}: {os.path.getsize(path)} bytes, rewards {e["rewards"]}, loss {e["loss"]:.6f}, '
              f'accuracy {e["accuracy"]:.3f}', file=sys.stderr)


def score_export(folder, inputs_path, architecture, hidden_states):
    """Rewards of an exported folder (config.json + model.safetensors) on {"ids", "mask"}, as JSON on stdout."""
    with open(os.path.join(folder, 'config.json')) as f:
        cfg = json.load(f)
    assert cfg['architectures'] == [architecture] and cfg.get('num_labels', len(cfg['id2label'])) == 1, cfg
    assert cfg.get('pad_token_id') is not None, 'an exported decoder reward model must set pad_token_id'
    w = read_safetensors(os.path.join(folder, 'model.safetensors'))
    assert set(k for k in w if k.startswith('score.')) == {'score.weight'}, 'the score head has no bias'
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs['ids'], dtype=torch.long)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64)
    with torch.no_grad():
        x = hidden_states(w, cfg, ids, mask)
        pooled = x[torch.arange(x.shape[0]), last_token(mask)]
        r = F.linear(pooled, w['score.weight']).squeeze(1)
    print(json.dumps(r.tolist()))
