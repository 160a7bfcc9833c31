#!/usr/bin/python3
# Applies a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, as RM Lab's
# export/peft-adapter.ts writes it and PEFT's save_pretrained does) to a base model folder
# (config.json + model.safetensors) by the tensors' names, as PeftModel.from_pretrained would, and
# scores with the hand-written references: no `peft` or `transformers` here (no PyPI). For each
# `base_model.model.<module>.lora_A.weight` / `lora_B.weight` the module must be a projection of the
# base whose last name is in target_modules; `base_model.model.<name>` tensors of the
# modules_to_save replace the base's; the update is (lora_alpha / r) (x A^T) B^T (bert_reference.lora).
# Token ids come from {"ids": [[...]], "mask": [[...]], "sepTokenId": n}; the rewards are printed as JSON.
#   /usr/bin/python3 scripts/reference/peft_adapter.py BASE_FOLDER ADAPTER_FOLDER INPUTS.json
import json
import os
import sys

import torch
import torch.nn.functional as F

import bert_reference
import gpt2_reference
from decoder_fixture import last_token

PREFIX = 'base_model.model.'


def apply_adapter(w, adapter_folder):
    """The base weights with the adapter's tensors put in by name, and 'lora.scale'; refuses any name that does not fit."""
    with open(os.path.join(adapter_folder, 'adapter_config.json')) as f:
        ac = json.load(f)
    assert ac['peft_type'] == 'LORA' and ac['task_type'] == 'SEQ_CLS', ac
    assert ac.get('lora_dropout', 0) == 0 and not ac.get('use_rslora') and not ac.get('use_dora'), ac
    tensors = bert_reference.read_safetensors(os.path.join(adapter_folder, 'adapter_model.safetensors'))
    out = dict(w)
    adapted = set()
    for name, t in tensors.items():
        assert name.startswith(PREFIX), f'{name}: not under {PREFIX}'
        key = name[len(PREFIX):]
        if key.endswith('.lora_A.weight') or key.endswith('.lora_B.weight'):
            module = key[:-len('.lora_A.weight')]
            assert module.split('.')[-1] in ac['target_modules'], f'{module} is not a target module'
            W = w[module + '.weight']
            n_in, n_out = (W.shape[0], W.shape[1]) if ac.get('fan_in_fan_out') else (W.shape[1], W.shape[0])
            expected = [ac['r'], n_in] if key.endswith('lora_A.weight') else [n_out, ac['r']]
            assert list(t.shape) == expected, f'{name}: shape {list(t.shape)}, expected {expected}'
            adapted.add(module)
        else:
            assert key.split('.')[0] in ac['modules_to_save'], f'{name}: neither an adapter nor in modules_to_save'
            assert key in w and w[key].shape == t.shape, f'{name}: not a tensor of the base with that shape'
        out[key] = t
    for module in adapted:
        assert module + '.lora_A.weight' in out and module + '.lora_B.weight' in out, f'{module}: A or B missing'
    out['lora.scale'] = ac['lora_alpha'] / ac['r']
    return out


def score(base_folder, adapter_folder, inputs_path):
    with open(os.path.join(base_folder, 'config.json')) as f:
        cfg = json.load(f)
    w = apply_adapter(bert_reference.read_safetensors(os.path.join(base_folder, 'model.safetensors')), adapter_folder)
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs['ids'], dtype=torch.long)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64)
    arch = cfg['architectures'][0]
    with torch.no_grad():
        if arch == 'BertForSequenceClassification':
            types = bert_reference.token_types(ids, mask, inputs['sepTokenId'])
            r = bert_reference.rewards(w, cfg, 'cls', ids, types, mask)
        elif arch == 'GPT2ForSequenceClassification':
            x = gpt2_reference.hidden_states(w, cfg, ids, mask)
            r = F.linear(x[torch.arange(x.shape[0]), last_token(mask)], w['score.weight']).squeeze(1)
        else:
            raise SystemExit(f'{arch}: this loader applies adapters to the BERT and GPT-2 references only')
    return r.tolist()


if __name__ == '__main__':
    print(json.dumps(score(sys.argv[1], sys.argv[2], sys.argv[3])))
