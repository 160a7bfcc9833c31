#!/usr/bin/python3
# An independent float64 PyTorch reference for RM Lab's BERT-family reward model: Hugging Face's
# BertForSequenceClassification with one label (BertModel + pooler + classifier) for 'cls' pooling,
# and BertModel's last hidden states pooled by mean or last token for 'mean' and 'last', scored
# with the pairwise Bradley-Terry loss. No `transformers` package exists here (no PyPI), so BertModel
# is written by hand below, following transformers' modeling_bert.py (BertEmbeddings,
# BertSelfAttention, BertSelfOutput, BertIntermediate, BertOutput, BertPooler) in eval mode (no
# dropout). Weights are stored under HF's state_dict names and orientations (nn.Linear: [out, in]), so
# the fixtures also check RM Lab's mapping table (src/core/model/hf-checkpoint.ts) both ways.
# It writes tests/fixtures/reference-bert-*.json, which tests/unit/bert-reference.test.ts (cpu, wasm)
# and tests/browser/reference-bert-webgpu.test.ts (webgpu) compare with.
#
# Regenerate (Debian's python3-torch; the pyenv `python3` on PATH has no torch):
#   /usr/bin/python3 scripts/reference/bert_reference.py
# Score an exported BertForSequenceClassification folder (config.json + model.safetensors, as
# toHuggingFaceSequenceClassification writes them) on token ids from a JSON file {"ids": [[...]], "mask": [[...]], "sepTokenId": n},
# printing the rewards as JSON: a check, independent of tfjs, that an export scores the same in Python:
#   /usr/bin/python3 scripts/reference/bert_reference.py --score FOLDER INPUTS.json
#
# The model, in formulas (2B sequences of T tokens: the B chosen rows, then the B rejected rows):
#   token_type[t] = 0 up to and including the first [SEP], 1 after it, 0 on padding (as a tokenizer
#                   pair-encodes [CLS] prompt [SEP] response [SEP] and pads); computed here with a loop
#   x     = LN(E_word[ids] + E_pos[0:T] + E_type[token_type])        LN eps = config.layer_norm_eps
#   per layer: q, k, v = x W_q^T + b_q, ...   (H heads of hs = D / H)
#     a   = softmax(q k^T / sqrt(hs) + (1 - mask) * finfo.min) v     (HF's extended attention mask)
#     x   = LN(x + a W_o^T + b_o)
#     x   = LN(x + act(x W_i^T + b_i) W_out^T + b_out)                act: gelu (erf), gelu_new (tanh), relu
#   pooled = tanh(x[:, 0] W_pool^T + b_pool)                          ('cls': BertPooler)
#          | sum_t mask_t x_t / sum_t mask_t                          ('mean')
#          | x[last real token]                                       ('last')
#   r     = pooled W_cls^T + b_cls                                    (classifier, [1, D])
#   loss  = mean_i softplus(r_rejected_i - r_chosen_i + margin_i)
#
# Weights are drawn here, rounded to float32 (what tfjs holds) and computed on in float64, so the
# fixtures differ from tfjs only by tfjs's float32 arithmetic. Choices that make mistakes visible:
# the three embedding tables are small (std 0.02), so the first LayerNorm's input variance is ~1e-3
# and an eps of 1e-5 in place of the config's 1e-12 moves it by ~0.5%; the intermediate weights are
# wide (std 0.5), so the activation's inputs reach |x| ~ 1-3, where exact and tanh GELU differ by up to
# 1e-3; the pooler's weights are wide too, so its tanh is far from linear; the token-type table's two
# rows differ, so wrong segment ids change the rewards. Other weights N(0, 0.2^2), biases N(0, 0.1^2),
# LayerNorm weights 1 + N(0, 0.2^2), biases N(0, 0.1^2).
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')
PAD, CLS, SEP = 0, 1, 2

# A pair is (chosen ids, rejected ids, margin): [CLS] prompt [SEP] response [SEP], a [SEP] in the middle.
MAIN_PAIRS = [
    ([CLS, 5, 9, 9, SEP, 17, 23, SEP], [CLS, 5, 9, 9, SEP, 31, SEP], 0.0),
    ([CLS, 12, 3, SEP, 8, 8, 8, 14, 29, 21, 11, 6, 7, 30, SEP], [CLS, 12, 3, SEP, 11, SEP], 0.5),
    # a response cut at max_length has no closing [SEP]
    ([CLS, 27, SEP, 19, 4, 6], [CLS, 27, SEP, 19, 25, 26, 10, SEP, 5], -0.25),
]
TINY_PAIRS = [
    ([CLS, 4, 7, SEP, 9, 9, SEP], [CLS, 4, 7, SEP, 13, SEP], 0.0),
    ([CLS, 20, SEP, 5, SEP], [CLS, 20, SEP, 11, 18, 23], 1.0),
]


def config(vocab, hidden, layers, heads, intermediate, positions, act, eps):
    """A config.json as transformers writes it for a BertModel."""
    return {
        'architectures': ['BertModel'], 'model_type': 'bert', 'vocab_size': vocab, 'hidden_size': hidden,
        'num_hidden_layers': layers, 'num_attention_heads': heads, 'intermediate_size': intermediate,
        'hidden_act': act, 'max_position_embeddings': positions, 'type_vocab_size': 2, 'layer_norm_eps': eps,
        'pad_token_id': PAD, 'position_embedding_type': 'absolute', 'hidden_dropout_prob': 0.1,
        'attention_probs_dropout_prob': 0.1, 'initializer_range': 0.02,
    }


# name -> (config, pooling, pairs, T, seed). The main fixtures (2 layers, 3 pairs, T = 16 < 24 positions)
# run on cpu and wasm; the tiny ones (1 layer, 2 pairs, T = 8) also on WebGPU's slow software adapter.
FIXTURES = {
    'reference-bert-cls-gelu': (config(32, 8, 2, 2, 32, 24, 'gelu', 1e-12), 'cls', MAIN_PAIRS, 16, 4321),
    'reference-bert-mean-gelu': (config(32, 8, 2, 2, 32, 24, 'gelu', 1e-12), 'mean', MAIN_PAIRS, 16, 4322),
    'reference-bert-last-gelu': (config(32, 8, 2, 2, 32, 24, 'gelu', 1e-12), 'last', MAIN_PAIRS, 16, 4323),
    'reference-bert-cls-gelu_new': (config(32, 8, 2, 2, 32, 24, 'gelu_new', 1e-12), 'cls', MAIN_PAIRS, 16, 4324),
    'reference-bert-mean-relu': (config(32, 8, 2, 4, 32, 24, 'relu', 1e-7), 'mean', MAIN_PAIRS, 16, 4325),
    'reference-bert-tiny-cls-gelu': (config(24, 8, 1, 2, 16, 8, 'gelu', 1e-12), 'cls', TINY_PAIRS, 8, 77),
    'reference-bert-tiny-last-gelu_new': (config(24, 8, 1, 2, 16, 8, 'gelu_new', 1e-12), 'last', TINY_PAIRS, 8, 78),
}


def draw_weights(cfg, pooling, gen):
    """Seeded random weights under HF's BertForSequenceClassification names, rounded to float32."""
    V, D, I, P = cfg['vocab_size'], cfg['hidden_size'], cfg['intermediate_size'], cfg['max_position_embeddings']

    def normal(shape, std, mean=0.0):
        w = torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean
        return w.to(torch.float32).to(torch.float64)

    w = {}

    def linear(name, n_in, n_out, std=0.2):
        w[name + '.weight'] = normal([n_out, n_in], std)  # nn.Linear: [out, in]
        w[name + '.bias'] = normal([n_out], 0.1)

    def layer_norm(name):
        w[name + '.weight'] = normal([D], 0.2, 1.0)
        w[name + '.bias'] = normal([D], 0.1)

    e = 'bert.embeddings.'
    w[e + 'word_embeddings.weight'] = normal([V, D], 0.02)
    w[e + 'position_embeddings.weight'] = normal([P, D], 0.02)
    w[e + 'token_type_embeddings.weight'] = normal([2, D], 0.02)
    layer_norm(e + 'LayerNorm')
    for l in range(cfg['num_hidden_layers']):
        p = f'bert.encoder.layer.{l}.'
        linear(p + 'attention.self.query', D, D)
        linear(p + 'attention.self.key', D, D)
        linear(p + 'attention.self.value', D, D)
        linear(p + 'attention.output.dense', D, D)
        layer_norm(p + 'attention.output.LayerNorm')
        linear(p + 'intermediate.dense', D, I, 0.5)
        linear(p + 'output.dense', I, D)
        layer_norm(p + 'output.LayerNorm')
    if pooling == 'cls':
        linear('bert.pooler.dense', D, D, 0.5)
    linear('classifier', D, 1, 0.5)
    return w


def token_types(ids, mask, sep=SEP):
    """BERT's segment ids for [CLS] A [SEP] B [SEP] + padding: 0 through the first [SEP], 1 after, 0 on padding."""
    out = torch.zeros_like(ids)
    for row in range(ids.shape[0]):
        seen_sep = False
        for t in range(ids.shape[1]):
            if mask[row, t] == 0:
                break  # padding is on the right, and keeps type 0
            out[row, t] = 1 if seen_sep else 0
            seen_sep = seen_sep or ids[row, t] == sep
    return out


def activation(name, x):
    if name == 'gelu':
        return F.gelu(x)  # exact: 0.5 x (1 + erf(x / sqrt 2))
    if name == 'gelu_new':
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == 'relu':
        return F.relu(x)
    raise ValueError(name)


def lora(y, x, w, name):
    """PEFT's LoRA on a projection, where `w` holds one for it (lora_reference.py): y + (alpha / r) (x A^T) B^T,
    with name.lora_A.weight [r, in], name.lora_B.weight [out, r] and w['lora.scale'] = alpha / r (no dropout)."""
    a = w.get(name + '.lora_A.weight')
    if a is None:
        return y
    return y + w['lora.scale'] * F.linear(F.linear(x, a), w[name + '.lora_B.weight'])


def bert_model(w, cfg, ids, types, mask):
    """BertModel's last hidden states [n, T, D] (modeling_bert.py, eval mode)."""
    n, T = ids.shape
    D, H, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['layer_norm_eps']
    hs = D // H
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], eps)
    lin = lambda x, name: lora(F.linear(x, w[name + '.weight'], w[name + '.bias']), x, w, name)
    e = 'bert.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=cfg['pad_token_id']) \
        + w[e + 'position_embeddings.weight'][torch.arange(T)][None] \
        + F.embedding(types, w[e + 'token_type_embeddings.weight'])
    x = ln(x, e + 'LayerNorm')
    extended = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float64).min  # [n, 1, 1, T]
    for l in range(cfg['num_hidden_layers']):
        p = f'bert.encoder.layer.{l}.'
        heads = lambda t: t.view(n, T, H, hs).permute(0, 2, 1, 3)  # [n, H, T, hs]
        q, k, v = (heads(lin(x, p + 'attention.self.' + m)) for m in ('query', 'key', 'value'))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hs) + extended
        context = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(n, T, D)
        x = ln(lin(context, p + 'attention.output.dense') + x, p + 'attention.output.LayerNorm')
        h = activation(cfg['hidden_act'], lin(x, p + 'intermediate.dense'))
        x = ln(lin(h, p + 'output.dense') + x, p + 'output.LayerNorm')
    return x


def rewards(w, cfg, pooling, ids, types, mask):
    x = bert_model(w, cfg, ids, types, mask)
    if pooling == 'cls':
        pooled = torch.tanh(F.linear(x[:, 0], w['bert.pooler.dense.weight'], w['bert.pooler.dense.bias']))
    elif pooling == 'mean':
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    else:
        last = mask.sum(1).to(torch.long) - 1  # right padding: the last real token's index
        pooled = x[torch.arange(x.shape[0]), last]
    return F.linear(pooled, w['classifier.weight'], w['classifier.bias']).squeeze(1)


def bradley_terry(r, margin):
    B = margin.shape[0]
    r_chosen, r_rejected = r[:B], r[B:]
    return F.softplus(r_rejected - r_chosen + margin).mean(), (r_chosen > r_rejected).to(torch.float64).mean()


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


def build(name, cfg, pooling, pairs, T, seed):
    gen = torch.Generator().manual_seed(seed)
    w = draw_weights(cfg, pooling, gen)
    seqs = [c for c, _, _ in pairs] + [rj for _, rj, _ in pairs]  # chosen rows, then rejected rows
    assert max(len(s) for s in seqs) <= T <= cfg['max_position_embeddings']
    ids = torch.full((len(seqs), T), PAD, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.float64)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(s)
        mask[row, :len(s)] = 1
    types = token_types(ids, mask)
    margin = torch.tensor([m for _, _, m in pairs], dtype=torch.float64)

    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    r = rewards(params, cfg, pooling, ids, types, mask)
    loss, accuracy = bradley_terry(r, margin)
    loss.backward()
    loss_of = lambda ws: bradley_terry(rewards(ws, cfg, pooling, ids, types, mask), margin)[0]
    check_gradient(name, params, loss_of, gen)
    B = len(pairs)
    gap = (r[:B] - r[B:]).abs().min().item()
    assert gap > 1e-3, f'{name}: a chosen and a rejected reward are within {gap:.2g}; accuracy would be fragile'
    # Segments matter: the same weights with every token type 0 score differently.
    with torch.no_grad():
        r0 = rewards(w, cfg, pooling, ids, torch.zeros_like(ids), mask)
    assert (r0 - r).abs().max().item() > 1e-3, f'{name}: token types do not move the rewards'
    return {
        'description': 'float64 PyTorch reference for the BERT-family reward model; see the generator for the math',
        'generator': 'scripts/reference/bert_reference.py',
        'torch': torch.__version__,
        'config': cfg,
        'special': {'sepTokenId': SEP, 'padTokenId': PAD},
        'pooling': pooling,
        'seed': seed,
        'pairs': [{'chosen': c, 'rejected': rj, 'margin': m} for c, rj, m in pairs],
        'batch': {'ids': ids.tolist(), 'mask': mask.to(torch.int64).tolist(), 'tokenTypes': types.tolist(),
                  'margin': margin.tolist()},
        # float32 values under HF's names and shapes, with enough digits (9) to round-trip exactly
        'weights': [{'name': k, 'shape': list(v.shape), 'data': flat(v, 9)} for k, v in w.items()],
        'expected': {'rewards': flat(r, 12), 'loss': float(f'{loss.item():.12g}'), 'accuracy': accuracy.item()},
        'grads': [{'name': k, 'shape': list(v.shape), 'data': flat(v.grad, 10)} for k, v in params.items()],
    }


def read_safetensors(path):
    """A safetensors file's F32 tensors as float64 torch tensors: 8-byte header length, JSON header, raw bytes."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        assert entry['dtype'] == 'F32', f'{name}: {entry["dtype"]} (this reader takes the F32 an export writes)'
        start, end = entry['data_offsets']
        values = struct.unpack(f'<{(end - start) // 4}f', body[start:end])
        out[name] = torch.tensor(values, dtype=torch.float64).reshape(entry['shape'])
    return out


def score_export(folder, inputs_path):
    with open(os.path.join(folder, 'config.json')) as f:
        cfg = json.load(f)
    assert cfg['architectures'] == ['BertForSequenceClassification'] and len(cfg['id2label']) == 1, cfg
    w = read_safetensors(os.path.join(folder, 'model.safetensors'))
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs['ids'], dtype=torch.long)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64)
    with torch.no_grad():
        r = rewards(w, cfg, 'cls', ids, token_types(ids, mask, inputs['sepTokenId']), mask)
    print(json.dumps(r.tolist()))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--score':
        return score_export(sys.argv[2], sys.argv[3])
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)  # one summation order: regenerating rewrites the fixtures byte for byte
    for name, (cfg, pooling, pairs, T, seed) in FIXTURES.items():
        fixture = build(name, cfg, pooling, pairs, T, seed)
        path = os.path.join(OUT_DIR, name + '.json')
        with open(path, 'w') as f:
            json.dump(fixture, f, separators=(',', ':'))
            f.write('\n')
        e = fixture['expected']
        print(f'{path}: {os.path.getsize(path)} bytes, rewards {e["rewards"]}, loss {e["loss"]:.6f}, '
              f'accuracy {e["accuracy"]:.3f}', file=sys.stderr)


if __name__ == '__main__':
    main()
