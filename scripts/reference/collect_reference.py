#!/usr/bin/python3
"""Independent reference for src/core/collect/agreement.ts: writes tests/fixtures/collect/agreement.json.

Run with Debian's Python (apt-get install -y python3-sklearn python3-statsmodels python3-scipy):

    /usr/bin/python3 scripts/reference/collect_reference.py

Labels of three simulated annotators over 80 items (a fixed random.Random seed), each label with
the side shown left; annotator "carol" leans to the left response. Expected values come from the
field's library routines, not a port of the TypeScript: sklearn's cohen_kappa_score per pair of
annotators over the items both labelled (each annotator's first label of an item), and scipy's
binomtest for the share of decisive choices that went to the left response, with the Wilson score
interval written out from its textbook formula on scipy's normal quantile (statsmodels is not
installed here; stats_reference.py checks the same formula against statsmodels).
"""

import json
import random
from pathlib import Path

from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score
from scipy.stats import norm

rng = random.Random(15)
WINNERS = ["a", "b", "tie", "both_bad"]
annotators = ["alice", "bob", "carol"]
truth = {f"item{i:03d}": rng.choice(["a", "a", "b", "b", "b", "tie", "both_bad"]) for i in range(80)}
labels = []
for i, (item, true) in enumerate(truth.items()):
    who = [a for a in annotators if rng.random() < 0.6] or ["alice"]
    for annotator in who:
        shown_left = rng.choice(["a", "b"])
        if annotator == "carol" and rng.random() < 0.7:
            winner = shown_left  # picks the left response regardless
        elif rng.random() < 0.75:
            winner = true
        else:
            winner = rng.choice(WINNERS)
        labels.append(
            {
                "id": f"l{len(labels)}",
                "projectId": "p",
                "itemId": item,
                "annotatorId": annotator,
                "winner": winner,
                "shownLeft": shown_left,
                "guidelineVersion": 1,
                "timeTakenMs": rng.randint(2000, 60000),
                "timestamp": f"2026-12-06T10:{i % 60:02d}:00.000Z",
            }
        )

first = {}
for label in labels:
    first.setdefault((label["itemId"], label["annotatorId"]), label["winner"])

kappas = []
for i, x in enumerate(annotators):
    for y in annotators[i + 1 :]:
        shared = sorted({item for (item, a) in first if a == x} & {item for (item, a) in first if a == y})
        lx = [first[(item, x)] for item in shared]
        ly = [first[(item, y)] for item in shared]
        agreement = sum(p == q for p, q in zip(lx, ly)) / len(shared)
        kappas.append(
            {
                "annotatorA": x,
                "annotatorB": y,
                "sharedItems": len(shared),
                "agreement": agreement,
                "kappa": float(cohen_kappa_score(lx, ly, labels=WINNERS)),
            }
        )

sides = []
for annotator in annotators:
    mine = [l for l in labels if l["annotatorId"] == annotator and l["winner"] in ("a", "b")]
    left = sum(l["winner"] == l["shownLeft"] for l in mine)
    n, z = len(mine), norm.ppf(0.975)
    p = left / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    low, high = centre - half, centre + half
    sides.append(
        {
            "annotatorId": annotator,
            "n": len(mine),
            "left": left,
            "lower": low,
            "upper": high,
            "pValue": binomtest(left, len(mine), 0.5).pvalue,
        }
    )

out = Path(__file__).resolve().parents[2] / "tests/fixtures/collect/agreement.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"labels": labels, "kappas": kappas, "sides": sides}, indent=1) + "\n")
print(json.dumps({"kappas": kappas, "sides": sides}, indent=1))
