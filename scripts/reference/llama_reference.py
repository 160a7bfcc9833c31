#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's Llama-family reward models: Hugging Face's
# LlamaForSequenceClassification (SmolLM2 is a Llama) and Qwen2ForSequenceClassification with one
# label: the base model + a bias-free `score` Linear read at the last real token, scored with the
# pairwise Bradley-Terry loss. No `transformers` here (no PyPI), so the model is written by hand
# below after transformers' modeling_llama.py / modeling_qwen2.py (LlamaRMSNorm,
# LlamaRotaryEmbedding + apply_rotary_pos_emb + rotate_half, repeat_kv, LlamaMLP) in eval mode.
# Weights are stored under *ForSequenceClassification's state_dict names (nn.Linear: [out, in]).
# It writes tests/fixtures/reference-llama-*.json and reference-qwen2-*.json, which
# tests/unit/decoder-reference.test.ts (cpu, wasm) and tests/browser/reference-decoder-webgpu.test.ts
# (webgpu) compare with.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/llama_reference.py
# Score an exported folder on {"ids": [[...]], "mask": [[...]]}:
#   /usr/bin/python3 scripts/reference/llama_reference.py --score FOLDER INPUTS.json
#
# The model, in formulas (2B sequences of T tokens: the B chosen rows, then the B rejected rows):
#   x    = E[ids]
#   per layer:  h = RMSNorm(x)                     RMSNorm(x) = w * x / sqrt(mean(x^2) + eps)
#     q = rope(h Wq^T + bq), k = rope(h Wk^T + bk), v = h Wv^T + bv      (biases: Qwen2's q, k, v)
#     rope(x) = x cos + rotate_half(x) sin, rotate_half([x1, x2]) = [-x2, x1], angle t * theta^(-2i/hd)
#     k, v repeated H / Hkv times: query head j reads key/value head j // (H / Hkv)   (repeat_kv)
#     x  = x + softmax(q k^T / sqrt(hd), causal and padding masked) v  Wo^T
#     x  = x + (silu(RMSNorm(x) Wg^T) * (RMSNorm(x) Wu^T)) Wd^T
#   x    = RMSNorm_f(x);   r = score.weight . x[last real token]   positions 0..T-1 whatever the padding, as HF
#   loss = mean_i softplus(r_rejected_i - r_chosen_i + margin_i)
#
# Weights drawn here, rounded to float32, computed on in float64. Choices that make mistakes visible:
# the embeddings are small (std 0.02), so mean(x^2) ~ 4e-4 at the first RMSNorm and an eps of 1e-5
# against 1e-6 moves its output by ~1%; q and k weights are wide (0.5), so attention is peaked and
# the rotation angles and the query-to-key-head grouping change the rewards; RMSNorm weights
# 1 + N(0, 0.2^2); other weights N(0, 0.3^2), biases N(0, 0.1^2), the score head N(0, 0.5^2).
import math
import sys

import torch
import torch.nn.functional as F

from decoder_fixture import attend, attention_allowed, build, score_export, write_all

V = 40
BOS, EOS, PAD = 1, 2, 0

MAIN_PAIRS = [
    ([BOS, 5, 9, 9, 17, 23], [BOS, 5, 9, 9, 29, 4, 33], 0.0),
    ([BOS, 12, 3, 8, 8, 8, 14, 29, 21, 11, 6, 7, 30, 36, EOS], [BOS, 12, 3, 11], 0.5),
    ([BOS, 27, 19, 4, 6, 13], [BOS, 27, 19, 25, 26, 10, 39, 5, 38, 37], -0.25),
]
TINY_PAIRS = [
    ([BOS, 7, 9, 9, 3], [BOS, 7, 13], 0.0),
    ([BOS, 5, 22], [BOS, 11, 18, 23, 6, 30], 1.0),
]


def config(model_type, hidden, layers, heads, kv_heads, inter, positions, eps, theta, head_dim=None):
    """config.json as transformers writes it for a one-label *ForSequenceClassification."""
    arch = 'LlamaForSequenceClassification' if model_type == 'llama' else 'Qwen2ForSequenceClassification'
    cfg = {
        'architectures': [arch], 'model_type': model_type, 'vocab_size': V, 'hidden_size': hidden,
        'intermediate_size': inter, 'num_hidden_layers': layers, 'num_attention_heads': heads,
        'num_key_value_heads': kv_heads, 'hidden_act': 'silu', 'max_position_embeddings': positions,
        'rms_norm_eps': eps, 'rope_theta': theta, 'rope_scaling': None, 'tie_word_embeddings': True,
        'bos_token_id': BOS, 'eos_token_id': EOS, 'pad_token_id': PAD, 'initializer_range': 0.02,
        'attention_dropout': 0.0, 'id2label': {'0': 'LABEL_0'}, 'label2id': {'LABEL_0': 0},
    }
    if model_type == 'llama':
        cfg.update({'attention_bias': False, 'mlp_bias': False})
    else:
        cfg.update({'use_sliding_window': False, 'sliding_window': positions, 'max_window_layers': layers})
    if head_dim is not None:
        cfg['head_dim'] = head_dim
    return cfg


# name -> (config, pairs, T, padding side, seed)
FIXTURES = {
    # SmolLM2's shape in small: grouped-query attention (4 query heads on 2 key/value heads), eps 1e-5
    'reference-llama-right': (config('llama', 16, 2, 4, 2, 24, 32, 1e-5, 10000.0), MAIN_PAIRS, 16, 'right', 6101),
    # a head_dim that is not hidden / heads (8 x 4 heads on a 16-wide model), left padding
    'reference-llama-left': (config('llama', 16, 2, 4, 2, 24, 32, 1e-5, 10000.0, 8), MAIN_PAIRS, 16, 'left', 6102),
    # Qwen2.5's choices: q/k/v biases, eps 1e-6, theta 1e6
    'reference-qwen2-right': (config('qwen2', 16, 2, 4, 2, 24, 32, 1e-6, 1e6), MAIN_PAIRS, 16, 'right', 6103),
    'reference-llama-tiny': (config('llama', 8, 1, 2, 1, 16, 8, 1e-5, 10000.0), TINY_PAIRS, 8, 'right', 6104),
    'reference-qwen2-tiny': (config('qwen2', 8, 1, 4, 2, 16, 8, 1e-6, 1e6), TINY_PAIRS, 8, 'right', 6105),
}


def head_dim(cfg):
    return cfg.get('head_dim') or cfg['hidden_size'] // cfg['num_attention_heads']


def draw_weights(cfg, gen):
    D, I, L = cfg['hidden_size'], cfg['intermediate_size'], cfg['num_hidden_layers']
    H, Hkv, hd = cfg['num_attention_heads'], cfg['num_key_value_heads'], head_dim(cfg)
    qkv_bias = cfg['model_type'] == 'qwen2' or cfg.get('attention_bias', False)

    def normal(shape, std, mean=0.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean).to(torch.float32).to(torch.float64)

    w = {}

    def linear(name, n_in, n_out, std=0.3, bias=False):
        w[name + '.weight'] = normal([n_out, n_in], std)  # nn.Linear: [out, in]
        if bias:
            w[name + '.bias'] = normal([n_out], 0.1)

    w['model.embed_tokens.weight'] = normal([V, D], 0.02)
    for l in range(L):
        p = f'model.layers.{l}.'
        w[p + 'input_layernorm.weight'] = normal([D], 0.2, 1.0)
        linear(p + 'self_attn.q_proj', D, H * hd, 0.5, qkv_bias)
        linear(p + 'self_attn.k_proj', D, Hkv * hd, 0.5, qkv_bias)
        linear(p + 'self_attn.v_proj', D, Hkv * hd, 0.3, qkv_bias)
        linear(p + 'self_attn.o_proj', H * hd, D)
        w[p + 'post_attention_layernorm.weight'] = normal([D], 0.2, 1.0)
        linear(p + 'mlp.gate_proj', D, I, 0.5)
        linear(p + 'mlp.up_proj', D, I)
        linear(p + 'mlp.down_proj', I, D)
    w['model.norm.weight'] = normal([D], 0.2, 1.0)
    w['score.weight'] = normal([1, D], 0.5)
    return w


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_tables(T, hd, theta):
    """cos, sin [T, hd]: LlamaRotaryEmbedding's default rope, in float64."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))  # [hd/2]
    freqs = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None]  # [T, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)  # [T, hd]
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    """[n, Hkv, T, hd] -> [n, Hkv * n_rep, T, hd]: each key/value head repeated for its n_rep query heads."""
    n, Hkv, T, hd = x.shape
    return x[:, :, None].expand(n, Hkv, n_rep, T, hd).reshape(n, Hkv * n_rep, T, hd)


def hidden_states(w, cfg, ids, mask, causal=True):
    """The base model's last hidden states [n, T, D], after the final norm (eval mode)."""
    n, T = ids.shape
    H, Hkv, hd, eps = cfg['num_attention_heads'], cfg['num_key_value_heads'], head_dim(cfg), cfg['rms_norm_eps']
    lin = lambda x, name: F.linear(x, w[name + '.weight'], w.get(name + '.bias'))
    cos, sin = rope_tables(T, hd, cfg['rope_theta'])
    rope = lambda t: t * cos + rotate_half(t) * sin
    allowed = attention_allowed(mask, causal)
    x = w['model.embed_tokens.weight'][ids]
    for l in range(cfg['num_hidden_layers']):
        p = f'model.layers.{l}.'
        h = rms_norm(x, w[p + 'input_layernorm.weight'], eps)
        heads = lambda t, k: t.view(n, T, k, hd).transpose(1, 2)  # [n, k, T, hd]
        q = rope(heads(lin(h, p + 'self_attn.q_proj'), H))
        k = repeat_kv(rope(heads(lin(h, p + 'self_attn.k_proj'), Hkv)), H // Hkv)
        v = repeat_kv(heads(lin(h, p + 'self_attn.v_proj'), Hkv), H // Hkv)
        a = attend(q, k, v, allowed).transpose(1, 2).reshape(n, T, H * hd)
        x = x + lin(a, p + 'self_attn.o_proj')
        h = rms_norm(x, w[p + 'post_attention_layernorm.weight'], eps)
        x = x + lin(F.silu(lin(h, p + 'mlp.gate_proj')) * lin(h, p + 'mlp.up_proj'), p + 'mlp.down_proj')
    return rms_norm(x, w['model.norm.weight'], eps)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--score':
        import json, os
        with open(os.path.join(sys.argv[2], 'config.json')) as f:
            arch = json.load(f)['architectures'][0]
        assert arch in ('LlamaForSequenceClassification', 'Qwen2ForSequenceClassification'), arch
        return score_export(sys.argv[2], sys.argv[3], arch, hidden_states)
    write_all(FIXTURES, lambda name, cfg, pairs, T, side, seed: build(
        name, cfg, pairs, T, side, seed, draw_weights, hidden_states, 'model.', 'scripts/reference/llama_reference.py'))


if __name__ == '__main__':
    main()
