#!/usr/bin/python3
"""Independent reference for src/core/quick-head/ (head.ts, loss.ts, Adam as fit.ts uses it):
writes tests/fixtures/quick-head/reference.json.

Run with Debian's Python (apt-get install -y python3-torch):

    /usr/bin/python3 scripts/reference/quick_head_reference.py

Each case: unit-length embeddings of chosen and rejected responses, a head (linear or a one-hidden-layer
ReLU MLP, no bias on the output, one or more ensemble members) with given weights, each member's count of each pair (all 1, or
a bootstrap draw), and an L2 coefficient. Written in plain PyTorch (nn.Linear, F.softplus,
torch.optim.Adam), float64, from the loss's definition, not a port of the TypeScript:
  L_k = sum_i w_ki softplus(r_k(rejected_i) - r_k(chosen_i)) / B + (l2 / 2) sum ||W_k||^2,  L = mean_k L_k.
Expected: L and its gradient with respect to every weight at the given weights, then three full-batch
Adam steps (betas 0.9, 0.999, eps 1e-8): the loss before each step and every weight after the last.
Weights are written in tfjs's [in, out] layout (the transpose of nn.Linear's weight).
"""

import json
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "quick-head" / "reference.json"


class Member(torch.nn.Module):
    def __init__(self, kind, d, h):
        super().__init__()
        self.kind = kind
        if kind == "mlp":
            self.hidden = torch.nn.Linear(d, h)
        self.out = torch.nn.Linear(h if kind == "mlp" else d, 1, bias=False)

    def forward(self, x):
        if self.kind == "mlp":
            x = F.relu(self.hidden(x))
        return self.out(x).squeeze(-1)

    def named(self, k):
        """(tfjs name, parameter, is matrix) in the order head.ts lists them."""
        layers = (["hidden"] if self.kind == "mlp" else []) + ["out"]
        out = []
        for layer in layers:
            lin = getattr(self, layer)
            out.append((f"member{k}.{layer}.weight", lin.weight, True))
            if lin.bias is not None:
                out.append((f"member{k}.{layer}.bias", lin.bias, False))
        return out


def unit_rows(n, d, gen):
    x = torch.randn(n, d, generator=gen)
    return x / x.norm(dim=1, keepdim=True)


def loss_of(members, chosen, rejected, counts, l2):
    terms = []
    for k, m in enumerate(members):
        gap = m(rejected) - m(chosen)
        term = (counts[k] * F.softplus(gap)).sum() / chosen.shape[0]
        if l2 > 0:
            term = term + l2 / 2 * sum((w**2).sum() for _, w, matrix in m.named(k) if matrix)
        terms.append(term)
    return torch.stack(terms).mean()


def tfjs_layout(name, tensor):
    t = tensor.detach()
    return (t.T if name.endswith(".weight") else t).contiguous()


def case(name, kind, members_n, d, h, n, l2, lr, bootstrap, seed):
    gen = torch.Generator().manual_seed(seed)
    chosen, rejected = unit_rows(n, d, gen), unit_rows(n, d, gen)
    # Make the chosen side lean one way, so the loss and its gradients are not those of noise alone.
    direction = torch.randn(d, generator=gen)
    chosen = F.normalize(chosen + 0.3 * direction / direction.norm(), dim=1)
    members = [Member(kind, d, h) for _ in range(members_n)]
    for m in members:
        for p in m.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    if bootstrap:
        counts = torch.zeros(members_n, n)
        for k in range(members_n):
            for i in torch.randint(0, n, (n,), generator=gen).tolist():
                counts[k, i] += 1
    else:
        counts = torch.ones(members_n, n)
    named = [item for k, m in enumerate(members) for item in m.named(k)]
    weights = [{"name": nm, "shape": list(tfjs_layout(nm, p).shape), "data": tfjs_layout(nm, p).flatten().tolist()} for nm, p, _ in named]

    loss = loss_of(members, chosen, rejected, counts, l2)
    loss.backward()
    grads = {nm: tfjs_layout(nm, p.grad).flatten().tolist() for nm, p, _ in named}

    params = [p for _, p, _ in named]
    opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss = loss_of(members, chosen, rejected, counts, l2)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    after = {nm: tfjs_layout(nm, p).flatten().tolist() for nm, p, _ in named}
    return {
        "name": name,
        "shape": {"head": kind, "inputSize": d, "hiddenUnits": h, "members": members_n},
        "l2": l2,
        "learningRate": lr,
        "chosen": chosen.flatten().tolist(),
        "rejected": rejected.flatten().tolist(),
        "count": n,
        "counts": counts.flatten().tolist(),
        "weights": weights,
        "loss": loss.item(),
        "grads": grads,
        "stepLosses": losses,
        "after": after,
    }


cases = [
    case("linear, one member", "linear", 1, 16, 8, 12, 0.0, 0.01, False, 1),
    case("linear, three members, bootstrap, l2", "linear", 3, 16, 8, 12, 0.01, 0.01, True, 2),
    case("mlp, one member, l2", "mlp", 1, 16, 8, 12, 0.001, 0.01, False, 3),
    case("mlp, four members, bootstrap, l2", "mlp", 4, 24, 6, 20, 0.01, 0.02, True, 4),
]
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}))
print(f"wrote {OUT}: {len(cases)} cases")
