#!/usr/bin/python3
"""Writes three tiny random ONNX models in the layout Transformers.js reads from the Hub.

Run with Debian's Python (python3-torch; no `onnx`, `transformers` or `safetensors` needed):

    /usr/bin/python3 scripts/onnx/make_tiny_hub_models.py [OUT_DIR]

OUT_DIR defaults to tests/fixtures/hub-models/. Each model is a folder named as a Hub repository
(`rmlab-test/<name>`), holding config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
and, for the generator, generation_config.json:

  tiny-generator   LlamaForCausalLM (RMSNorm, rotary positions, grouped-query attention, SiLU MLP)
                   exported as Optimum exports decoders for Transformers.js: inputs input_ids,
                   attention_mask, position_ids, past_key_values.{i}.key/value; outputs logits and
                   present.{i}.key/value, so text-generation runs with its key/value cache.
  tiny-embedder    BertModel: input_ids, attention_mask, token_type_ids -> last_hidden_state
                   (the feature-extraction pipeline pools it).
  tiny-judge       BertForSequenceClassification with one label: -> logits [B, 1] (a reward model).

The models are written out here in plain PyTorch, not taken from `transformers`, so they also serve
as the reference: reference.json in each folder holds what these weights compute for a few inputs
(the generator's greedy continuation, the embedder's mean-pooled vectors, the judge's logits), which
the tests compare with what Transformers.js computes from the ONNX files.

Weights come from torch.manual_seed, so a second run writes the same JSON files and the same
numbers (tests/unit/hub-models-script.test.ts runs it when torch is there and compares).
"""

import json
import math
import sys
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
OPSET = 14

# One WordPiece vocabulary for all three (lower-cased words, every letter and digit spellable):
# small enough that the files stay a few tens of KB, words enough that generated text reads as words.
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "<s>", "</s>", "<|user|>", "<|assistant|>"]
WORDS = (
    "the a an is are was be to of and or in on at for with as by it this that what which who how why "
    "when where yes no not good bad better best worse answer question prompt response model reward "
    "human assistant write poem story about cat dog bird tree sun moon sea city paris france capital "
    "two three four five plus minus equals number help please thank you we they he she i my your "
    "our their can will would should could do does did make made say said think know see look find "
    "give take use try run train test data label pair chosen rejected score high low long short "
    "right wrong true false first last next because so but if then than more less very much many "
    "some all every each one time day way thing people world word text here there now new old"
).split()
PIECES = ["##s", "##ing", "##ed", "##er", "##ly"]
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?;:'\"()-/")
VOCAB = list(dict.fromkeys(SPECIALS + CHARS + WORDS + PIECES + ["##" + c for c in CHARS[:36]]))
ID = {t: i for i, t in enumerate(VOCAB)}
# The generator's vocabulary has no "##" continuations: a response is whole words and characters,
# so text streamed a token at a time decodes as the whole response does (a lone "##s" would not).
GEN_VOCAB = [t for t in VOCAB if not t.startswith("##")]
GEN_ID = {t: i for i, t in enumerate(GEN_VOCAB)}

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tokenizer_json(post_processor, ids=ID):
    """A BERT-style WordPiece tokenizer.json (lower-casing normalizer, WordPiece decoder)."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": ids[t],
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for t in SPECIALS
        ],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": post_processor,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": ids,
        },
    }


def template(single, pair=None, ids=ID):
    def pieces(spec):
        out = []
        for item in spec:
            if item in ("$A", "$B"):
                out.append({"Sequence": {"id": item[1], "type_id": 0 if item == "$A" else 1}})
            else:
                out.append({"SpecialToken": {"id": item, "type_id": 0}})
        return out

    return {
        "type": "TemplateProcessing",
        "single": pieces(single),
        "pair": pieces(pair or single),
        "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in dict.fromkeys(single + (pair or [])) if t[0] != "$"},
    }


def encode(text, ids=ID):
    """WordPiece on lower-cased, punctuation-split words (what tokenizer.json above does)."""
    out = []
    for word in "".join(c if c.isalnum() else f" {c} " for c in text.lower()).split():
        start, pieces = 0, []
        while start < len(word):
            end = len(word)
            while end > start and (("##" if start else "") + word[start:end]) not in ids:
                end -= 1
            if end == start:
                pieces = [ids["[UNK]"]]
                break
            pieces.append(ids[("##" if start else "") + word[start:end]])
            start = end
        out += pieces
    return out


# ---- The generator: a tiny Llama -------------------------------------------------------------

LLAMA = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
HEAD_DIM = LLAMA["hidden_size"] // LLAMA["num_attention_heads"]
ROPE_THETA = 10000.0
RMS_EPS = 1e-5


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self):
        super().__init__()
        d, nh, nkv = LLAMA["hidden_size"], LLAMA["num_attention_heads"], LLAMA["num_key_value_heads"]
        self.input_layernorm = RMSNorm(d)
        self.q_proj = nn.Linear(d, nh * HEAD_DIM, bias=False)
        self.k_proj = nn.Linear(d, nkv * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(d, nkv * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(nh * HEAD_DIM, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d)
        self.gate_proj = nn.Linear(d, LLAMA["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, LLAMA["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(LLAMA["intermediate_size"], d, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        B, S, _ = x.shape
        nh, nkv = LLAMA["num_attention_heads"], LLAMA["num_key_value_heads"]
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, S, nh, HEAD_DIM).transpose(1, 2)  # (B, nh, S, hd)
        k = self.k_proj(h).view(B, S, nkv, HEAD_DIM).transpose(1, 2)  # (B, nkv, S, hd)
        v = self.v_proj(h).view(B, S, nkv, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat([past_k, k], dim=2)  # (B, nkv, P+S, hd): the cache this step returns
        v = torch.cat([past_v, v], dim=2)
        rep = nh // nkv
        # Each key/value head serves `rep` query heads (repeat_interleave, written so the export keeps B and T dynamic).
        kk = k.unsqueeze(2).expand(-1, -1, rep, -1, -1).reshape(B, nh, -1, HEAD_DIM)  # (B, nh, P+S, hd)
        vv = v.unsqueeze(2).expand(-1, -1, rep, -1, -1).reshape(B, nh, -1, HEAD_DIM)
        att = (q @ kk.transpose(-1, -2)) / math.sqrt(HEAD_DIM) + mask  # (B, nh, S, P+S)
        y = torch.softmax(att, dim=-1) @ vv  # (B, nh, S, hd)
        x = x + self.o_proj(y.transpose(1, 2).reshape(B, S, nh * HEAD_DIM))
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))
        return x, k, v


class TinyLlama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(len(GEN_VOCAB), LLAMA["hidden_size"])
        self.layers = nn.ModuleList([LlamaBlock() for _ in range(LLAMA["num_hidden_layers"])])
        self.norm = RMSNorm(LLAMA["hidden_size"])
        self.lm_head = nn.Linear(LLAMA["hidden_size"], len(GEN_VOCAB), bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        B, S = input_ids.shape
        T = attention_mask.shape[1]  # past + new positions
        inv = 1.0 / (ROPE_THETA ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM))
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv  # (B, S, hd/2)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # (B, 1, S, hd)
        # Query i (absolute position T-S+i) sees key j when j <= T-S+i and the key is not padding.
        qpos = torch.arange(S).unsqueeze(1) + (T - S)
        causal = torch.arange(T).unsqueeze(0) <= qpos  # (S, T)
        allowed = causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(1)
        mask = (~allowed).to(torch.float32) * -1e9  # (B, 1, S, T)
        x = self.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        return (self.lm_head(self.norm(x)), *presents)


def write_generator(out):
    torch.manual_seed(17)
    model = TinyLlama().eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
        # Spread the next-token scores, so a greedy continuation is not a run of near-ties.
        model.lm_head.weight.normal_(0, 1.0)
    n = LLAMA["num_hidden_layers"]
    nkv = LLAMA["num_key_value_heads"]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    B, S, P = 2, 3, 4
    dummy = (
        torch.randint(8, len(GEN_VOCAB), (B, S)),
        torch.ones(B, P + S, dtype=torch.int64),
        torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous(),
        *[torch.randn(B, nkv, P, HEAD_DIM) for _ in past_names],
    )
    dynamic = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
        **{name: {0: "batch_size", 2: "past_sequence_length"} for name in past_names},
        **{name: {0: "batch_size", 2: "total_sequence_length"} for name in present_names},
    }
    export(model, dummy, out, ["input_ids", "attention_mask", "position_ids", *past_names], ["logits", *present_names], dynamic)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": len(GEN_VOCAB),
        **LLAMA,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "max_position_embeddings": 256,
        "rms_norm_eps": RMS_EPS,
        "rope_theta": ROPE_THETA,
        "bos_token_id": GEN_ID["<s>"],
        "eos_token_id": GEN_ID["</s>"],
        "pad_token_id": GEN_ID["[PAD]"],
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
    }
    write_json(out / "config.json", config)
    write_json(
        out / "generation_config.json",
        {"bos_token_id": GEN_ID["<s>"], "eos_token_id": GEN_ID["</s>"], "pad_token_id": GEN_ID["[PAD]"]},
    )
    write_json(out / "tokenizer.json", tokenizer_json(template(["<s>", "$A"], ids=GEN_ID), ids=GEN_ID))
    write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "pad_token": "[PAD]",
            "unk_token": "[UNK]",
            "model_max_length": 256,
            "clean_up_tokenization_spaces": True,
            "chat_template": CHAT_TEMPLATE,
        },
    )
    # The reference: greedy continuations, one token at a time with the cache, as generate() runs.
    prompts = ["what is the capital of france?", "write a poem about the sea"]
    cases = []
    for prompt in prompts:
        ids = [GEN_ID["<s>"]] + encode(prompt, GEN_ID)
        cases.append({"prompt": prompt, "input_ids": ids, "greedy_new_ids": greedy(model, ids, 12)})
    write_json(out / "reference.json", {"cases": cases})


def greedy(model, ids, new_tokens):
    n, nkv = LLAMA["num_hidden_layers"], LLAMA["num_key_value_heads"]
    past = [torch.zeros(1, nkv, 0, HEAD_DIM) for _ in range(2 * n)]
    seq, fresh, out = list(ids), list(ids), []
    with torch.no_grad():
        for _ in range(new_tokens):
            start = len(seq) - len(fresh)
            logits, *past = model(
                torch.tensor([fresh]),
                torch.ones(1, len(seq), dtype=torch.int64),
                torch.arange(start, len(seq)).unsqueeze(0),
                *past,
            )
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            seq.append(nxt)
            fresh = [nxt]
            if nxt == GEN_ID["</s>"]:
                break
    return out


# ---- The embedder and the judge: a tiny BERT --------------------------------------------------

BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
LN_EPS = 1e-12


class BertLayer(nn.Module):
    def __init__(self):
        super().__init__()
        d = BERT["hidden_size"]
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.attn_out = nn.Linear(d, d)
        self.attn_norm = nn.LayerNorm(d, eps=LN_EPS)
        self.intermediate = nn.Linear(d, BERT["intermediate_size"])
        self.output = nn.Linear(BERT["intermediate_size"], d)
        self.out_norm = nn.LayerNorm(d, eps=LN_EPS)

    def forward(self, x, mask):
        B, T, d = x.shape
        nh = BERT["num_attention_heads"]
        hd = d // nh

        def heads(t):
            return t.view(B, T, nh, hd).transpose(1, 2)  # (B, nh, T, hd)

        att = heads(self.query(x)) @ heads(self.key(x)).transpose(-1, -2) / math.sqrt(hd) + mask
        y = (torch.softmax(att, dim=-1) @ heads(self.value(x))).transpose(1, 2).reshape(B, T, d)
        x = self.attn_norm(x + self.attn_out(y))
        return self.out_norm(x + self.output(nn.functional.gelu(self.intermediate(x))))


class TinyBert(nn.Module):
    def __init__(self, classifier):
        super().__init__()
        d = BERT["hidden_size"]
        self.word = nn.Embedding(len(VOCAB), d)
        self.position = nn.Embedding(BERT["max_position_embeddings"], d)
        self.token_type = nn.Embedding(2, d)
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.layers = nn.ModuleList([BertLayer() for _ in range(BERT["num_hidden_layers"])])
        self.classifier = classifier
        if classifier:
            self.pooler = nn.Linear(d, d)
            self.head = nn.Linear(d, 1)

    def forward(self, input_ids, attention_mask, token_type_ids):
        T = input_ids.shape[1]
        x = self.word(input_ids) + self.position(torch.arange(T).unsqueeze(0)) + self.token_type(token_type_ids)
        x = self.norm(x)  # (B, T, d)
        mask = (1.0 - attention_mask.to(torch.float32)).unsqueeze(1).unsqueeze(1) * -1e9  # (B, 1, 1, T)
        for layer in self.layers:
            x = layer(x, mask)
        if not self.classifier:
            return x
        return self.head(torch.tanh(self.pooler(x[:, 0])))  # (B, 1): the [CLS] token's reward


def write_bert(out, classifier, seed):
    torch.manual_seed(seed)
    model = TinyBert(classifier).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.2)
            elif "norm" not in name:
                p.normal_(0, 0.02)
    B, T = 2, 5
    dummy = (torch.randint(8, len(VOCAB), (B, T)), torch.ones(B, T, dtype=torch.int64), torch.zeros(B, T, dtype=torch.int64))
    output = "logits" if classifier else "last_hidden_state"
    dynamic = {name: {0: "batch_size", 1: "sequence_length"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    dynamic[output] = {0: "batch_size"} if classifier else {0: "batch_size", 1: "sequence_length"}
    export(model, dummy, out, ["input_ids", "attention_mask", "token_type_ids"], [output], dynamic)
    config = {
        "architectures": ["BertForSequenceClassification" if classifier else "BertModel"],
        "model_type": "bert",
        "vocab_size": len(VOCAB),
        **BERT,
        "hidden_act": "gelu",
        "layer_norm_eps": LN_EPS,
        "type_vocab_size": 2,
        "pad_token_id": ID["[PAD]"],
        "torch_dtype": "float32",
    }
    if classifier:
        config.update(num_labels=1, id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0})
    write_json(out / "config.json", config)
    write_json(out / "tokenizer.json", tokenizer_json(template(["[CLS]", "$A", "[SEP]"], ["[CLS]", "$A", "[SEP]", "$B", "[SEP]"])))
    write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "BertTokenizer",
            "cls_token": "[CLS]",
            "sep_token": "[SEP]",
            "pad_token": "[PAD]",
            "unk_token": "[UNK]",
            "do_lower_case": True,
            "model_max_length": BERT["max_position_embeddings"],
            "clean_up_tokenization_spaces": True,
        },
    )
    texts = ["what is the capital of france?", "paris is the capital of france.", "a poem about a cat"]
    cases = []
    with torch.no_grad():
        for text in texts:
            ids = [ID["[CLS]"]] + encode(text) + [ID["[SEP]"]]
            t = torch.tensor([ids])
            y = model(t, torch.ones_like(t), torch.zeros_like(t))
            case = {"text": text, "input_ids": ids}
            if classifier:
                case["logit"] = float(y[0, 0])
            else:
                case["mean_pooled"] = [float(v) for v in y[0].mean(0)]
            cases.append(case)
    write_json(out / "reference.json", {"cases": cases})


# ---- Files ----------------------------------------------------------------------------------------


def export(model, dummy, out, inputs, outputs, dynamic):
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        dummy,
        str(out / "onnx" / "model.onnx"),
        input_names=inputs,
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=OPSET,
        do_constant_folding=True,
    )


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def round_floats(value):
    if isinstance(value, float):
        return float(f"{value:.7g}")
    if isinstance(value, list):
        return [round_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: round_floats(v) for k, v in value.items()}
    return value


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "fixtures" / "hub-models"
    torch.set_num_threads(1)  # the same sums in the same order on every machine
    write_generator(root / "rmlab-test" / "tiny-generator")
    write_bert(root / "rmlab-test" / "tiny-embedder", classifier=False, seed=18)
    write_bert(root / "rmlab-test" / "tiny-judge", classifier=True, seed=19)
    for ref in root.glob("rmlab-test/*/reference.json"):
        write_json(ref, round_floats(json.loads(ref.read_text())))
    print(f"wrote {', '.join(sorted(str(p.relative_to(root)) for p in root.glob('rmlab-test/*')))} under {root}")


if __name__ == "__main__":
    main()
