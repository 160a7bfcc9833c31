#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's GPT-2 reward model: Hugging Face's
# GPT2ForSequenceClassification with one label (GPT2Model + a bias-free `score` Linear read at the
# last real token), scored with the pairwise Bradley-Terry loss. No `transformers` here (no PyPI), so
# GPT2Model is written by hand below after transformers' modeling_gpt2.py (GPT2Attention, GPT2MLP,
# GPT2Block) in eval mode. Weights are stored under GPT2ForSequenceClassification's state_dict names
# and orientations (Conv1D: [in, out], so nothing is transposed for GPT-2).
# It writes tests/fixtures/reference-gpt2-*.json, which tests/unit/decoder-reference.test.ts (cpu,
# wasm) and tests/browser/reference-decoder-webgpu.test.ts (webgpu) compare with.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/gpt2_reference.py
# Score an exported GPT2ForSequenceClassification folder on {"ids": [[...]], "mask": [[...]]}:
#   /usr/bin/python3 scripts/reference/gpt2_reference.py --score FOLDER INPUTS.json
#
# The model, in formulas (2B sequences of T tokens: the B chosen rows, then the B rejected rows):
#   x    = wte[ids] + wpe[0:T]                              positions 0..T-1 whatever the padding, as HF
#   per layer:  a = LN_1(x);  q, k, v = split(a W_attn + b_attn)      (H heads of hs = D / H)
#     x  = x + softmax(q k^T / sqrt(hs), causal and padding masked) v  W_proj + b_proj
#     x  = x + gelu_new(LN_2(x) W_fc + b_fc) W_mproj + b_mproj
#   x    = LN_f(x);   r = score.weight . x[last real token]   (rightmost mask = 1: either padding side)
#   loss = mean_i softplus(r_rejected_i - r_chosen_i + margin_i)
#
# Weights are drawn here, rounded to float32, computed on in float64. Linear weights N(0, 0.2^2),
# the fc weights wider (0.5, so GELU's inputs reach its curved part), biases N(0, 0.1^2), LayerNorm
# weights 1 + N(0, 0.2^2), embeddings N(0, 0.5^2), the score head N(0, 0.5^2).
import math
import sys

import torch
import torch.nn.functional as F

from bert_reference import lora
from decoder_fixture import attend, attention_allowed, build, score_export, write_all

V = 32
EOS = V - 1  # GPT-2 has no pad token: its reward models pad with eos (pad_token_id = eos_token_id)

# (chosen, rejected, margin); no sequence ends in EOS, so pooling from the mask and from ids != pad agree
MAIN_PAIRS = [
    ([5, 9, 9, 17, 23], [5, 9, 9, 29, 4], 0.0),
    ([12, 3, 8, 8, 8, 14, 29, 21, 11, 6, 7, 30, 2], [12, 3, 11], 0.5),
    ([27, 19, 4, 6, EOS, 13], [27, 19, 25, 26, 10, 1, 5], -0.25),
]
TINY_PAIRS = [
    ([4, 7, 9, 9, 3], [4, 7, 13], 0.0),
    ([20, 5, 2], [20, 11, 18, 23, 6, 1], 1.0),
]


def config(hidden, layers, heads, positions, act='gelu_new', eps=1e-5):
    """config.json as transformers writes it for a one-label GPT2ForSequenceClassification."""
    return {
        'architectures': ['GPT2ForSequenceClassification'], 'model_type': 'gpt2', 'vocab_size': V,
        'n_embd': hidden, 'n_layer': layers, 'n_head': heads, 'n_positions': positions, 'n_ctx': positions,
        'n_inner': None, 'activation_function': act, 'layer_norm_epsilon': eps, 'bos_token_id': EOS,
        'eos_token_id': EOS, 'pad_token_id': EOS, 'id2label': {'0': 'LABEL_0'}, 'label2id': {'LABEL_0': 0},
        'resid_pdrop': 0.1, 'embd_pdrop': 0.1, 'attn_pdrop': 0.1, 'initializer_range': 0.02,
        'scale_attn_weights': True, 'scale_attn_by_inverse_layer_idx': False, 'reorder_and_upcast_attn': False,
    }


# name -> (config, pairs, T, padding side, seed)
FIXTURES = {
    'reference-gpt2-right': (config(8, 2, 2, 24), MAIN_PAIRS, 16, 'right', 5101),
    'reference-gpt2-left': (config(8, 2, 2, 24), MAIN_PAIRS, 16, 'left', 5102),
    'reference-gpt2-tiny': (config(8, 1, 2, 8), TINY_PAIRS, 8, 'right', 5103),
}


def draw_weights(cfg, gen):
    D, P, L = cfg['n_embd'], cfg['n_positions'], cfg['n_layer']
    I = cfg['n_inner'] or 4 * D

    def normal(shape, std, mean=0.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean).to(torch.float32).to(torch.float64)

    w = {}

    def conv(name, n_in, n_out, std=0.2):
        w[name + '.weight'] = normal([n_in, n_out], std)  # Conv1D: [in, out]
        w[name + '.bias'] = normal([n_out], 0.1)

    def ln(name):
        w[name + '.weight'] = normal([D], 0.2, 1.0)
        w[name + '.bias'] = normal([D], 0.1)

    w['transformer.wte.weight'] = normal([V, D], 0.5)
    w['transformer.wpe.weight'] = normal([P, D], 0.5)
    for l in range(L):
        p = f'transformer.h.{l}.'
        ln(p + 'ln_1')
        conv(p + 'attn.c_attn', D, 3 * D)
        conv(p + 'attn.c_proj', D, D)
        ln(p + 'ln_2')
        conv(p + 'mlp.c_fc', D, I, 0.5)
        conv(p + 'mlp.c_proj', I, D)
    ln('transformer.ln_f')
    w['score.weight'] = normal([1, D], 0.5)  # nn.Linear(D, 1, bias=False): [out, in]
    return w


def activation(name, x):
    if name in ('gelu_new', 'gelu_pytorch_tanh'):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == 'gelu':
        return F.gelu(x)
    if name == 'relu':
        return F.relu(x)
    raise ValueError(name)


def hidden_states(w, cfg, ids, mask, causal=True):
    """GPT2Model's last hidden states [n, T, D], after ln_f (modeling_gpt2.py, eval mode)."""
    n, T = ids.shape
    D, H, eps = cfg['n_embd'], cfg['n_head'], cfg.get('layer_norm_epsilon', 1e-5)
    hs = D // H
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], eps)
    # Conv1D: addmm(bias, x, weight); PEFT's LoRA on a Conv1D is the same update as on a Linear
    conv = lambda x, name: lora(x @ w[name + '.weight'] + w[name + '.bias'], x, w, name)
    x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][torch.arange(T)][None]
    allowed = attention_allowed(mask, causal)
    for l in range(cfg['n_layer']):
        p = f'transformer.h.{l}.'
        q, k, v = conv(ln(x, p + 'ln_1'), p + 'attn.c_attn').split(D, dim=2)
        heads = lambda t: t.view(n, T, H, hs).permute(0, 2, 1, 3)  # [n, H, T, hs]
        a = attend(heads(q), heads(k), heads(v), allowed).permute(0, 2, 1, 3).reshape(n, T, D)
        x = x + conv(a, p + 'attn.c_proj')
        x = x + conv(activation(cfg.get('activation_function', 'gelu_new'), conv(ln(x, p + 'ln_2'), p + 'mlp.c_fc')), p + 'mlp.c_proj')
    return ln(x, 'transformer.ln_f')


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--score':
        return score_export(sys.argv[2], sys.argv[3], 'GPT2ForSequenceClassification', hidden_states)
    write_all(FIXTURES, lambda name, cfg, pairs, T, side, seed: build(
        name, cfg, pairs, T, side, seed, draw_weights, hidden_states, 'transformer.',
        'scripts/reference/gpt2_reference.py'))


if __name__ == '__main__':
    main()
