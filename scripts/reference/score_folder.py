#!/usr/bin/python3
# A PyTorch-side AutoModelForSequenceClassification for the folders RM Lab exports (and the reward
# models people share), without `transformers` (none here): config.json's architectures picks the
# family's hand-written reference (bert_reference.py, distilbert_reference.py, roberta_reference.py,
# electra_reference.py, deberta_reference.py), the weights come from model.safetensors (F32) or pytorch_model.bin
# (torch.load, weights_only where this torch has it), and the reward is logits[:, 0] of the 'cls'
# head each *ForSequenceClassification has. Token ids come from a JSON file
# {"ids": [[...]], "mask": [[...]]}; the rewards are printed as JSON.
#   /usr/bin/python3 scripts/reference/score_folder.py FOLDER INPUTS.json
import json
import os
import sys

import torch

import bert_reference
import deberta_reference
import distilbert_reference
import electra_reference
import roberta_reference

FAMILIES = {
    'BertForSequenceClassification': bert_reference,
    'DistilBertForSequenceClassification': distilbert_reference,
    'RobertaForSequenceClassification': roberta_reference,
    'XLMRobertaForSequenceClassification': roberta_reference,
    'ElectraForSequenceClassification': electra_reference,
    'DebertaV2ForSequenceClassification': deberta_reference,
}


def read_weights(folder):
    path = os.path.join(folder, 'model.safetensors')
    if os.path.exists(path):
        return bert_reference.read_safetensors(path)
    state = torch.load(os.path.join(folder, 'pytorch_model.bin'), map_location='cpu')
    return {k: v.to(torch.float64) for k, v in state.items() if v.is_floating_point()}


def score(folder, inputs_path):
    with open(os.path.join(folder, 'config.json')) as f:
        cfg = json.load(f)
    assert len(cfg['architectures']) == 1 and cfg['architectures'][0] in FAMILIES, cfg['architectures']
    assert len(cfg['id2label']) == 1, 'a reward model has one label'
    family = FAMILIES[cfg['architectures'][0]]
    w = read_weights(folder)
    with open(inputs_path) as f:
        inputs = json.load(f)
    ids = torch.tensor(inputs['ids'], dtype=torch.long)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64)
    with torch.no_grad():
        if family is bert_reference:
            types = bert_reference.token_types(ids, mask, inputs['sepTokenId'])
            r = bert_reference.rewards(w, cfg, 'cls', ids, types, mask)
        else:
            r = family.rewards(w, cfg, 'cls', ids, mask)
    return r.tolist()


if __name__ == '__main__':
    print(json.dumps(score(sys.argv[1], sys.argv[2])))
