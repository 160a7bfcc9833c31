#!/usr/bin/python3
"""Independent reference for src/core/eval/baselines/: writes tests/fixtures/baselines/demo-bag-of-words.json.

Run with Debian's Python (python3-sklearn, python3-numpy):

    /usr/bin/python3 scripts/reference/baselines_reference.py

Data: the bundled demo file (public/demo/pandalm-testset.jsonl). Its decisive pairs (winner
response_a or response_b), in file order, are cut into the first 300 (training) and the next 150
(held-out). The definitions written out again here, not ported from the TypeScript:
  - a word is a run of letters and digits after lower-casing (Python's [^\\W_]+);
  - features of a side are counts of its words and bigrams ("w1 w2") of prompt + "\\n" + response,
    each in bucket FNV-1a-32(UTF-8) mod 2^18;
  - a pair's row is features(A) - features(B), label 1 when A won (the orientation of the file);
  - scikit-learn's LogisticRegression(penalty='l2', C=1, fit_intercept=False). Solver newton-cg with
    tol 1e-12, the exact minimiser: solver='lbfgs' stops on scipy's relative-decrease test (ftol =
    64 machine epsilons) with gradient components still near 1e-3, which moves probabilities by ~5e-5;
    its weights are written too, and agree with newton-cg's to that;
  - "longer wins" / "shorter wins" count characters (code points) of the responses, a tie being wrong.
"""

import json
import re
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
BITS = 18
C = 1.0


def fnv1a(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def counts(text):
    words = re.findall(r"[^\W_]+", text.lower())
    out = {}
    feats = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    for f in feats:
        b = fnv1a(f) & ((1 << BITS) - 1)
        out[b] = out.get(b, 0) + 1
    return out


def text_of(t):
    if isinstance(t, str):
        return t
    return "\n".join(f"{m['role']}: {m['content']}" for m in t)


def main():
    rows = [json.loads(line) for line in (ROOT / "public/demo/pandalm-testset.jsonl").read_text().splitlines() if line]
    decisive = [r for r in rows if r["winner"] in ("response_a", "response_b")]
    train, held = decisive[:300], decisive[300:450]

    def design(pairs):
        data, ii, jj, y = [], [], [], []
        for i, r in enumerate(pairs):
            p = text_of(r["prompt"])
            a = counts(p + "\n" + text_of(r["response_a"]))
            b = counts(p + "\n" + text_of(r["response_b"]))
            for k in set(a) | set(b):
                v = a.get(k, 0) - b.get(k, 0)
                if v != 0:
                    ii.append(i)
                    jj.append(k)
                    data.append(v)
            y.append(1 if r["winner"] == "response_a" else 0)
        return sparse.csr_matrix((data, (ii, jj)), shape=(len(pairs), 1 << BITS), dtype=np.float64), np.array(y)

    x, y = design(train)
    xh, yh = design(held)
    clf = LogisticRegression(penalty="l2", C=C, fit_intercept=False, solver="newton-cg", tol=1e-12, max_iter=100000)
    clf.fit(x, y)
    w = clf.coef_[0]
    lbfgs = LogisticRegression(penalty="l2", C=C, fit_intercept=False, solver="lbfgs", max_iter=100000).fit(x, y)
    # P(chosen preferred) on the held-out pairs: P(A) when A won, else 1 - P(A).
    pa = clf.predict_proba(xh)[:, 1]
    p_chosen = np.where(yh == 1, pa, 1 - pa)
    used = np.nonzero(w)[0]
    top = used[np.argsort(-np.abs(w[used]))][:300]

    def length_correct(pairs, rule):
        right = 0
        for r in pairs:
            a, b = len(text_of(r["response_a"])), len(text_of(r["response_b"]))
            c, j = (a, b) if r["winner"] == "response_a" else (b, a)
            right += (c > j) if rule == "longer" else (c < j)
        return int(right)

    out = {
        "source": "scripts/reference/baselines_reference.py",
        "train": [r["source_id"] for r in train],
        "heldOut": [r["source_id"] for r in held],
        "hashBits": BITS,
        "C": C,
        "weightNorm": float(np.linalg.norm(w)),
        "lbfgsWeightNorm": float(np.linalg.norm(lbfgs.coef_[0])),
        "lbfgsMaxWeightDifference": float(np.abs(lbfgs.coef_[0] - w).max()),
        "usedBuckets": int(len(used)),
        "topWeights": [[int(k), float(w[k])] for k in top],
        "heldOutProbabilities": [float(p) for p in p_chosen],
        "heldOutAccuracy": float(np.mean(p_chosen > 0.5)),
        "trainAccuracy": float(np.mean((clf.decision_function(x) > 0) == (y == 1))),
        "longerCorrect": length_correct(held, "longer"),
        "shorterCorrect": length_correct(held, "shorter"),
    }
    dest = ROOT / "tests/fixtures/baselines/demo-bag-of-words.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {dest}: held-out accuracy {out['heldOutAccuracy']:.3f}, |w| {out['weightNorm']:.4f}, {clf.n_iter_} iterations")


if __name__ == "__main__":
    main()
