#!/usr/bin/python3
# The float64 PyTorch reference for RM Lab's "Frozen weights: f16" option on a BERT reward model:
# with Frozen layers 1, the embeddings and layer 0 are frozen, and their weight matrices (rank 2:
# the three embedding tables, layer 0's query, key, value, output, intermediate and output dense
# weights) are kept in f16. The model then computes with those weights rounded to f16 (here:
# torch's .half().double(), round to nearest, ties to even) and everything else as before
# (scripts/reference/bert_reference.py, whose model and fixture builder this reuses).
#
# The fixture holds the weights as drawn (float32, NOT rounded: RM Lab must round them itself), the
# rewards, loss and gradients of the f16-rounded model, and the f32 model's rewards, so a test can
# tell the two apart (the rounding moves the rewards by more than the tolerance). Gradients of the
# frozen weights are in the fixture but RM Lab computes none.
#
# A second fixture does the same for LoRA (scripts/reference/lora_reference.py's tiny BERT): every
# frozen base matrix (all but the classifier, which trains with the adapters) rounded to f16.
#
# Regenerate (Debian's python3-torch):  /usr/bin/python3 scripts/reference/f16_frozen_reference.py
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_reference as bert  # noqa: E402
import lora_reference as lora  # noqa: E402

NAME = 'reference-bert-f16-frozen'
# 2 layers, hidden 8, T 8: layer 1, the pooler and the classifier train; the rest is frozen.
CFG = bert.config(24, 8, 2, 2, 16, 8, 'gelu', 1e-12)
SEED = 83  # of seeds 79-86, one where the rounding moves the rewards by 0.5% of their scale


def stored_in_f16(name, tensor):
    """What RM Lab stores as f16 with Frozen layers 1: the frozen (embeddings, layer 0) matrices."""
    frozen = name.startswith('bert.embeddings.') or name.startswith('bert.encoder.layer.0.')
    return frozen and tensor.dim() == 2


def main():
    torch.set_num_threads(1)
    drawn = bert.draw_weights

    def rounded(cfg, pooling, gen):
        w = drawn(cfg, pooling, gen)
        return {k: v.half().double() if stored_in_f16(k, v) else v for k, v in w.items()}

    as_f32 = bert.build(NAME, CFG, 'cls', bert.TINY_PAIRS, 8, SEED)
    bert.draw_weights = rounded
    as_f16 = bert.build(NAME, CFG, 'cls', bert.TINY_PAIRS, 8, SEED)
    bert.draw_weights = drawn
    r16 = torch.tensor(as_f16['expected']['rewards'])
    r32 = torch.tensor(as_f32['expected']['rewards'])
    moved = (r16 - r32).abs().max().item() / r32.abs().max().item()
    # The comparisons' tolerance is 1e-4 of the scale: f16 must move the rewards well past it.
    assert moved > 1e-3, f'f16 rounding moves the rewards by only {moved:.2g} of their scale'
    fixture = {
        **as_f16,
        'description': 'float64 PyTorch reference for a BERT reward model whose frozen matrices (embeddings, '
                       'layer 0) are rounded to f16; weights as drawn, expectations of the rounded model',
        'generator': 'scripts/reference/f16_frozen_reference.py',
        'frozenLayers': 1,
        'storedInF16': [w['name'] for w in as_f32['weights'] if stored_in_f16(w['name'], torch.zeros(w['shape']))],
        'weights': as_f32['weights'],
        'expectedF32': as_f32['expected'],
    }
    path = os.path.join(bert.OUT_DIR, NAME + '.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'{path}: rewards {fixture["expected"]["rewards"]} (f32: {r32.tolist()}), moved {moved:.3g} of scale')


LORA_NAME = 'reference-lora-bert-tiny-f16'
LORA_SEED = 6106  # of seeds 6102-6111, one where the rounding moves the rewards by 0.6% of their scale


def lora_main():
    """LoRA's frozen base in f16: every base matrix but the trained head's (classifier) rounded; the
    adapters' and the head's gradients flow back through the f16 products (their gradient wrt x)."""
    family, cfg, pooling, pairs, T, _, adapters = lora.FIXTURES['reference-lora-bert-tiny']
    name, args = LORA_NAME, (family, cfg, pooling, pairs, T, LORA_SEED, adapters)
    drawn = bert.draw_weights

    def rounded(cfg, pooling, gen):
        w = drawn(cfg, pooling, gen)
        return {k: v.half().double() if v.dim() == 2 and not k.startswith('classifier.') else v for k, v in w.items()}

    as_f32 = lora.build(name, *args)
    bert.draw_weights = rounded
    as_f16 = lora.build(name, *args)
    bert.draw_weights = drawn
    r16 = torch.tensor(as_f16['expected']['rewards'])
    r32 = torch.tensor(as_f32['expected']['rewards'])
    moved = (r16 - r32).abs().max().item() / r32.abs().max().item()
    assert moved > 1e-3, f'LoRA: f16 rounding moves the rewards by only {moved:.2g} of their scale'
    fixture = {
        **as_f16,
        'description': "float64 PyTorch reference for LoRA with its frozen base's matrices rounded to f16; weights "
                       'as drawn, expectations of the rounded model',
        'generator': 'scripts/reference/f16_frozen_reference.py',
        'weights': as_f32['weights'],
        'expectedF32': as_f32['expected'],
    }
    path = os.path.join(bert.OUT_DIR, LORA_NAME + '.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'{path}: rewards {fixture["expected"]["rewards"]}, moved {moved:.3g} of scale')


if __name__ == '__main__':
    main()
    lora_main()
