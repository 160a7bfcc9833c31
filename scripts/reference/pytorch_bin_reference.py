#!/usr/bin/python3
# pytorch_model.bin fixtures written by torch.save itself (Debian's python3-torch), for
# tests/unit/pytorch-bin.test.ts: every tiny reference fixture of each family (reference-*-tiny-*.json)
# saved as a state dict in float32, float16 and bfloat16, with what real checkpoints carry besides
# weights: an int64 buffer (embeddings.position_ids), a tensor sharing another's storage, a view
# with strides (a transpose), and an nn.Parameter (pickled through torch._utils._rebuild_parameter).
# And hostile files that a safe reader must refuse without running or allocating anything: a pickle
# that names os.system, one that names builtins.eval through STACK_GLOBAL, a tensor whose shape
# claims 2^40 elements of a tiny storage, and a storage claiming more elements than its bytes hold.
#   /usr/bin/python3 scripts/reference/pytorch_bin_reference.py
import collections
import io
import json
import os
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
OUT = os.path.join(FIXTURES, 'pytorch-bin')
SOURCES = ['reference-bert-tiny-cls-gelu', 'reference-distilbert-tiny-cls-gelu', 'reference-roberta-tiny-cls-gelu',
           'reference-electra-tiny-cls-gelu']
DTYPES = {'f32': torch.float32, 'f16': torch.float16, 'bf16': torch.bfloat16}


def state_dict(fixture, dtype):
    sd = collections.OrderedDict()
    for w in fixture['weights']:
        sd[w['name']] = torch.tensor(w['data'], dtype=torch.float64).reshape(w['shape']).to(dtype)
    first = fixture['weights'][0]['name']  # the word embeddings
    prefix = first[:first.index('embeddings.')]
    positions = fixture['config']['max_position_embeddings']
    sd[prefix + 'embeddings.position_ids'] = torch.arange(positions, dtype=torch.int64)[None]
    # The first Linear weight as a Parameter, and a transposed view of it under an unused name.
    linear = next(k for k in sd if k.endswith('.weight') and sd[k].dim() == 2 and 'embeddings' not in k)
    sd[linear] = torch.nn.Parameter(sd[linear], requires_grad=False)
    sd['unused.transposed_view'] = sd[linear].detach().t()
    sd['unused.shared_storage'] = sd[first][1:3]
    return sd


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(data)
    print(f'{path}: {len(data)} bytes')


def saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def with_pickle(pickle_bytes, storages=()):
    """A zip in torch.save's layout around a hand-written data.pkl (and storages)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', pickle_bytes)
        z.writestr('archive/version', '3\n')
        for key, data in storages:
            z.writestr(f'archive/data/{key}', data)
    return buf.getvalue()


def hostile():
    # GLOBAL os.system, then REDUCE with ('echo pwned',): what a malicious checkpoint does.
    write('hostile-os-system.bin', with_pickle(b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."))
    # The same through protocol 4's STACK_GLOBAL: builtins.eval.
    write('hostile-stack-global.bin', with_pickle(
        b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x011\x94\x85\x94R\x94."))
    # A real small state dict whose tensor claims 2^40 elements: edit the shape inside data.pkl.
    small = collections.OrderedDict(w=torch.zeros(4))
    raw = saved(small)
    z = zipfile.ZipFile(io.BytesIO(raw))
    names = z.namelist()
    pkl = next(n for n in names if n.endswith('data.pkl'))
    data = z.read(pkl)
    # size tuple (4,) is BININT1 4 then TUPLE1: K\x04\x85; stride (1,) is K\x01\x85. Claim (2**40,) with LONG1.
    assert data.count(b'K\x04\x85') == 1, data
    huge = data.replace(b'K\x04\x85', b'\x8a\x06\x00\x00\x00\x00\x00\x01\x85')
    write('hostile-huge-shape.bin', with_pickle(huge, [(n.split('/')[-1], z.read(n)) for n in names if '/data/' in n]))
    # The storage claims 2^30 elements (the persistent id's numel) over its 16 bytes.
    assert data.count(b'K\x04t') == 1, data  # ('storage', FloatStorage, '0', 'cpu', 4) ends with K\x04 then TUPLE
    lying = data.replace(b'K\x04t', b'J\x00\x00\x00\x40t')
    write('hostile-storage-size.bin', with_pickle(lying, [(n.split('/')[-1], z.read(n)) for n in names if '/data/' in n]))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for source in SOURCES:
        with open(os.path.join(FIXTURES, source + '.json')) as f:
            fixture = json.load(f)
        family = source.split('-')[1]
        for tag, dtype in DTYPES.items():
            write(f'{family}-tiny-{tag}.bin', saved(state_dict(fixture, dtype)))
    hostile()


if __name__ == '__main__':
    main()
