"""DistilBERT's fixed sinusoidal position table, as Hugging Face builds it (create_sinusoidal_embeddings
in transformers' modeling_distilbert.py, copied here: no transformers on these machines), in float64
through numpy and written with torch's float32 rounding, for tests/unit/sinusoidal-positions.test.ts.

    /usr/bin/python3 scripts/reference/sinusoidal_reference.py > tests/fixtures/reference-sinusoidal.json
"""
import json

import numpy as np
import torch


def create_sinusoidal_embeddings(n_pos: int, dim: int, out: torch.Tensor) -> None:
    # modeling_distilbert.py, as written there.
    position_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out.requires_grad = False
    out[:, 0::2] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(position_enc[:, 1::2]))
    out.detach_()


def main() -> None:
    cases = []
    for n_pos, dim in [(8, 6), (64, 16), (512, 12)]:
        table = torch.empty(n_pos, dim)
        create_sinusoidal_embeddings(n_pos, dim, table)
        cases.append({"positions": n_pos, "dim": dim, "table": table.flatten().tolist()})
    print(json.dumps({"generator": "scripts/reference/sinusoidal_reference.py", "torch": torch.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
