#!/usr/bin/python3
# An independent float64 PyTorch reference for LoRA on RM Lab's reward models, as PEFT computes it
# (peft/tuners/lora/layer.py, Linear.forward, dropout 0, no rsLoRA):
#   y = x W^T + b + (alpha / r) (x A^T) B^T        A = lora_A.weight [r, in], B = lora_B.weight [out, r]
# on the projections inside the transformer layers whose module name ends in one of target_modules,
# on the hand-written BERT (bert_reference.py) and GPT-2 (gpt2_reference.py) references, whose
# projections call bert_reference.lora. No `peft` here (no PyPI): the update is written out.
# A and B are drawn nonzero (B starts at zero in training, which would hide every bug in B's use),
# the base weights as those references draw them. The fixture holds the base weights under HF's
# names, the adapter under PEFT's saved names (`base_model.model.<module>.lora_A.weight`, the head
# modules `base_model.model.classifier.weight` as get_peft_model_state_dict strips modules_to_save),
# the rewards, the loss and the gradients of what LoRA trains: A, B and the head (the base frozen).
# It writes tests/fixtures/reference-lora-*.json, compared by tests/unit/lora-reference.test.ts.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/lora_reference.py
import json
import os
import sys

import torch

import bert_reference as bert
import gpt2_reference as gpt2
from decoder_fixture import batch as decoder_batch, last_token

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')
PEFT = 'base_model.model.'

# name -> (family, config, pooling, pairs, T, seed, (r, alpha, target_modules)); the tiny one also runs on WebGPU
FIXTURES = {
    'reference-lora-bert': ('bert', bert.config(32, 8, 2, 2, 32, 24, 'gelu', 1e-12), 'cls', bert.MAIN_PAIRS, 16, 6101,
                            (4, 8.0, ['query', 'value', 'dense'])),
    'reference-lora-bert-tiny': ('bert', bert.config(24, 8, 1, 2, 16, 8, 'gelu', 1e-12), 'cls', bert.TINY_PAIRS, 8,
                                 6102, (2, 6.0, ['query', 'value'])),
    'reference-lora-gpt2': ('gpt2', gpt2.config(8, 2, 2, 24), 'last', gpt2.MAIN_PAIRS, 16, 6103,
                            (4, 12.0, ['c_attn', 'c_proj'])),
}
LAYERS = {'bert': 'bert.encoder.layer.', 'gpt2': 'transformer.h.'}
HEAD_MODULES = {'bert': ['classifier'], 'gpt2': ['score']}


def adapted_modules(w, family, targets):
    """The projections inside the layers whose last name is a target (PEFT matches by suffix), in the weights' order."""
    return [k[:-len('.weight')] for k, v in w.items()
            if k.startswith(LAYERS[family]) and k.endswith('.weight') and v.dim() == 2
            and k[:-len('.weight')].split('.')[-1] in targets]


def draw_adapter(w, family, r, targets, gen):
    """lora_A [r, in] and lora_B [out, r] for each adapted module, nonzero, rounded to float32."""
    out = {}
    for m in adapted_modules(w, family, targets):
        W = w[m + '.weight']
        n_in, n_out = (W.shape[1], W.shape[0]) if family == 'bert' else (W.shape[0], W.shape[1])  # Conv1D: [in, out]
        normal = lambda shape: (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.2).to(torch.float32).to(torch.float64)
        out[m + '.lora_A.weight'] = normal([r, n_in])
        out[m + '.lora_B.weight'] = normal([n_out, r])
    return out


def model_of(family, cfg, pooling, pairs, T, gen):
    """Base weights, the batch and a rewards function of the weights, for one family."""
    if family == 'bert':
        w = bert.draw_weights(cfg, pooling, gen)
        seqs = [c for c, _, _ in pairs] + [rj for _, rj, _ in pairs]
        ids = torch.full((len(seqs), T), bert.PAD, dtype=torch.long)
        mask = torch.zeros(len(seqs), T, dtype=torch.float64)
        for row, s in enumerate(seqs):
            ids[row, :len(s)] = torch.tensor(s)
            mask[row, :len(s)] = 1
        types = bert.token_types(ids, mask)
        return w, ids, mask, lambda ws: bert.rewards(ws, cfg, pooling, ids, types, mask)
    w = gpt2.draw_weights(cfg, gen)
    ids, mask = decoder_batch(pairs, T, cfg['pad_token_id'], 'right')

    def rewards(ws):
        x = gpt2.hidden_states(ws, cfg, ids, mask)
        return torch.nn.functional.linear(x[torch.arange(x.shape[0]), last_token(mask)], ws['score.weight']).squeeze(1)
    return w, ids, mask, rewards


def build(name, family, cfg, pooling, pairs, T, seed, lora):
    r, alpha, targets = lora
    gen = torch.Generator().manual_seed(seed)
    w, ids, mask, rewards_of = model_of(family, cfg, pooling, pairs, T, gen)
    adapter = draw_adapter(w, family, r, targets, gen)
    margin = torch.tensor([m for _, _, m in pairs], dtype=torch.float64)
    heads = [k for k in w if k.split('.')[0] in HEAD_MODULES[family]]
    trained = {k: v.clone().requires_grad_(True) for k, v in [*adapter.items(), *((k, w[k]) for k in heads)]}
    frozen = {k: v for k, v in w.items() if k not in trained}
    loss_of = lambda ps: bert.bradley_terry(rewards_of({**frozen, **ps, 'lora.scale': alpha / r}), margin)
    rewards = rewards_of({**frozen, **trained, 'lora.scale': alpha / r})
    loss, accuracy = bert.bradley_terry(rewards, margin)
    loss.backward()
    bert.check_gradient(name, trained, lambda ps: loss_of(ps)[0], gen, h=1e-7)
    # The adapters matter: without them (B = 0, as training starts) the rewards move.
    with torch.no_grad():
        base = rewards_of({**w, 'lora.scale': alpha / r})
    assert (base - rewards).abs().max().item() > 1e-2, f'{name}: the adapters barely move the rewards'
    return {
        'description': 'float64 PyTorch reference for LoRA (as PEFT) on a reward model; see the generator',
        'generator': 'scripts/reference/lora_reference.py',
        'torch': torch.__version__,
        'family': family,
        'config': cfg,
        'special': {'sepTokenId': bert.SEP, 'padTokenId': bert.PAD},
        'pooling': pooling,
        'seed': seed,
        'lora': {'r': r, 'alpha': alpha, 'targets': targets,
                 'modules': adapted_modules(w, family, targets),
                 'weights': [{'name': PEFT + k, 'shape': list(v.shape), 'data': bert.flat(v, 9)}
                             for k, v in adapter.items()]},
        'pairs': [{'chosen': c, 'rejected': rj, 'margin': m} for c, rj, m in pairs],
        'batch': {'ids': ids.tolist(), 'mask': mask.to(torch.int64).tolist(), 'margin': margin.tolist()},
        'weights': [{'name': k, 'shape': list(v.shape), 'data': bert.flat(v, 9)} for k, v in w.items()],
        'expected': {'rewards': bert.flat(rewards, 12), 'baseRewards': bert.flat(base, 12),
                     'loss': float(f'{loss.item():.12g}'), 'accuracy': accuracy.item()},
        # A and B, and the head modules, under the names a PEFT adapter file holds them by
        'grads': [{'name': PEFT + k, 'shape': list(v.shape), 'data': bert.flat(v.grad, 10)} for k, v in trained.items()],
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)  # one summation order: regenerating rewrites the fixtures byte for byte
    for name, args in FIXTURES.items():
        fixture = build(name, *args)
        path = os.path.join(OUT_DIR, name + '.json')
        with open(path, 'w') as f:
            json.dump(fixture, f, separators=(',', ':'))
            f.write('\n')
        e = fixture['expected']
        print(f'{path}: {os.path.getsize(path)} bytes, rewards {e["rewards"]}, loss {e["loss"]:.6f}', file=sys.stderr)


if __name__ == '__main__':
    main()
