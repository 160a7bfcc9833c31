#!/usr/bin/python3
"""Independent reference for src/core/data/stats/: writes tests/fixtures/stats/*.json.

Run with Debian's Python, which has the libraries (the pyenv python3 on PATH has none of them):

    apt-get install -y python3-sklearn python3-statsmodels python3-scipy
    /usr/bin/python3 scripts/reference/stats_reference.py [path/to/pandalm-testset-v1.json]

Every statistic is computed here with the field's standard library routine, not a port of the
TypeScript: scipy.stats.binomtest / norm.ppf, statsmodels' proportion_confint(method='wilson'),
fleiss_kappa + aggregate_raters, sklearn's cohen_kappa_score, numpy's percentile / histogram,
and the Davidson (1970) Bradley-Terry-with-ties model fitted by scipy.optimize.minimize (BFGS on
the negative log-likelihood, no MM) with standard errors from a finite-difference Hessian
(statsmodels.tools.numdiff.approx_hess3). What is a definition rather than a computation is
written out again here: strict-majority winners, the "nice" histogram bin width, which items count
as the same item for annotator agreement, both_bad counted as a tie by the fit.

Inputs:
  (a) tests/fixtures/stats/hand-pairs.json: a hand-built dataset of 20 pairs (RM Lab Pair objects),
      whose values tests/unit/stats-hand.test.ts also derives by hand;
  (b) the PandaLM test set (../shared/data/pandalm-testset-v1.json next to the repository): 999 rows,
      annotator1..3 vote 1 = response1, 2 = response2, 0 = tie (JSON numbers in the file);
      cmp_key "modelA_modelB" names the two models. The per-item winner is the strict majority
      of the three votes, else a tie.

Tokens: the tests inject a whitespace tokenizer, runs of characters other than ASCII whitespace
(space, \\t, \\n, \\r, \\f, \\v), written identically on both sides.
"""

import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy import optimize, stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.numdiff import approx_hess3

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "stats"
DEFAULT_PANDALM = REPO.parent / "shared" / "data" / "pandalm-testset-v1.json"

WINNERS = ["a", "b", "tie", "both_bad"]
TOKEN = re.compile(r"[^ \t\n\r\f\v]+")
POINTS_PER_NAT = 400 / math.log(10)


def count_tokens(text):
    return len(TOKEN.findall(text))


def finite(x):
    """JSON has no NaN: None stands for an undefined value."""
    x = float(x)
    return x if math.isfinite(x) else None


# --- binomial proportion ---------------------------------------------------------------------


def proportion(k, n):
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {
        "n": int(n),
        "successes": int(k),
        "share": k / n,
        "interval": {"lower": float(lo), "upper": float(hi)},
        "pValue": float(stats.binomtest(int(k), int(n), 0.5).pvalue),
    }


def winner_distribution(items):
    counts = Counter(it["winner"] for it in items)
    total = len(items)
    return {
        "total": total,
        "counts": {w: counts[w] for w in WINNERS},
        "shares": {w: counts[w] / total for w in WINNERS},
    }


def position_bias(items):
    a = sum(it["winner"] == "a" for it in items)
    b = sum(it["winner"] == "b" for it in items)
    return {**proportion(a, a + b), "aWins": a, "bWins": b, "nonDecisive": len(items) - a - b}


def length_bias(items):
    out = {}
    for name, measure in (("characters", len), ("tokens", count_tokens)):
        longer = shorter = equal = 0
        for it in items:
            if it["winner"] not in ("a", "b"):
                continue
            la, lb = measure(it["A"]), measure(it["B"])
            chosen, rejected = (la, lb) if it["winner"] == "a" else (lb, la)
            if chosen == rejected:
                equal += 1
            elif chosen > rejected:
                longer += 1
            else:
                shorter += 1
        out[name] = {**proportion(longer, longer + shorter), "longerWins": longer, "shorterWins": shorter, "equalLength": equal}
    return out


# --- length distributions --------------------------------------------------------------------


def nice_width(upper, max_bins):
    scale = 1
    while True:
        for step in (1, 2, 5):
            if math.ceil(upper / (step * scale)) <= max_bins:
                return step * scale
        scale *= 10


def length_distributions(items, max_bins=30):
    groups = {"chosen": [], "rejected": [], "a": [], "b": []}
    for it in items:
        ta, tb = count_tokens(it["A"]), count_tokens(it["B"])
        groups["a"].append(ta)
        groups["b"].append(tb)
        if it["winner"] == "a":
            groups["chosen"].append(ta)
            groups["rejected"].append(tb)
        elif it["winner"] == "b":
            groups["chosen"].append(tb)
            groups["rejected"].append(ta)
    upper = max(groups["a"] + groups["b"]) + 1
    width = nice_width(upper, max_bins)
    edges = np.arange(0, math.ceil(upper / width) + 1) * width
    out = {"edges": edges.tolist(), "binWidth": width, "groups": {}}
    for name, values in groups.items():
        x = np.asarray(values, dtype=float)
        counts, _ = np.histogram(x, bins=edges)  # every value is below the last edge
        out["groups"][name] = {
            "counts": counts.tolist(),
            "summary": {
                "count": len(values),
                "mean": float(np.mean(x)),
                "median": float(np.median(x)),
                "p95": float(np.percentile(x, 95)),  # linear interpolation, numpy's default
                "min": float(np.min(x)),
                "max": float(np.max(x)),
            },
        }
    return out


# --- breakdowns ------------------------------------------------------------------------------


def breakdown(items, field):
    counts = Counter(it[field] for it in items if it.get(field))
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "rows": [{"key": k, "count": c, "share": c / len(items)} for k, c in rows],
        "missing": sum(1 for it in items if not it.get(field)),
        "total": len(items),
    }


def per_model(items):
    as_a = Counter(it["modelA"] for it in items)
    as_b = Counter(it["modelB"] for it in items)
    count = Counter()
    for it in items:
        count.update({it["modelA"], it["modelB"]})
    rows = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"rows": [{"key": k, "count": c, "asA": as_a[k], "asB": as_b[k]} for k, c in rows], "total": len(items)}


# --- agreement -------------------------------------------------------------------------------


def votes_agreement(vote_lists):
    """Fleiss' kappa over items given as lists of category codes, all of one length."""
    table, _ = aggregate_raters(np.asarray(vote_lists), n_cat=4)
    raters = len(vote_lists[0])
    return {
        "kappa": float(fleiss_kappa(table, method="fleiss")),
        "raters": raters,
        "items": len(vote_lists),
        "categoryShares": dict(zip(WINNERS, (table.sum(axis=0) / table.sum()).tolist())),
        "unanimousItems": int((table.max(axis=1) == raters).sum()),
        "unanimousShare": float((table.max(axis=1) == raters).mean()),
    }


SWAP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


def annotator_agreement(rows):
    """rows: dicts with prompt, A, B, winner, annotator. One item = prompt + the two responses in
    either order; labels are put in the orientation the item was first seen in; an annotator's
    repeated label of an item is dropped (first counts)."""
    items = {}
    repeated = 0
    for r in rows:
        key = (r["prompt"],) + tuple(sorted([r["A"], r["B"]]))
        item = items.setdefault(key, {"first_a": r["A"], "labels": {}})
        if r["annotator"] in item["labels"]:
            repeated += 1
            continue
        item["labels"][r["annotator"]] = r["winner"] if r["A"] == item["first_a"] else SWAP[r["winner"]]
    shared = defaultdict(lambda: ([], []))
    multi = 0
    for item in items.values():
        labels = item["labels"]
        if len(labels) < 2:
            continue
        multi += 1
        ids = sorted(labels)
        for i, x in enumerate(ids):
            for y in ids[i + 1 :]:
                shared[(x, y)][0].append(labels[x])
                shared[(x, y)][1].append(labels[y])
    pairs = []
    for (x, y), (lx, ly) in sorted(shared.items()):
        pairs.append(
            {
                "annotatorA": x,
                "annotatorB": y,
                "sharedItems": len(lx),
                "agreement": float(np.mean(np.asarray(lx) == np.asarray(ly))),
                "kappa": finite(cohen_kappa_score(lx, ly)),
            }
        )
    return {"pairs": pairs, "items": multi, "repeatedLabels": repeated}


# --- Davidson leaderboard --------------------------------------------------------------------


def davidson(items):
    """Davidson (1970) Bradley-Terry with ties, by BFGS on the negative log-likelihood in
    x = (theta_1 .. theta_{K-1}, log nu) with theta_K = 0; both_bad counts as a tie."""
    models = sorted({it["modelA"] for it in items} | {it["modelB"] for it in items})
    k = len(models)
    at = {m: i for i, m in enumerate(models)}
    games = defaultdict(lambda: np.zeros(3))  # (i, j) i < j: i wins, j wins, ties
    record = {m: {"model": m, "games": 0, "wins": 0, "losses": 0, "ties": 0, "bothBad": 0} for m in models}
    for it in items:
        a, b, w = it["modelA"], it["modelB"], it["winner"]
        record[a]["games"] += 1
        record[b]["games"] += 1
        if w == "a":
            record[a]["wins"] += 1
            record[b]["losses"] += 1
        elif w == "b":
            record[b]["wins"] += 1
            record[a]["losses"] += 1
        else:
            key = "ties" if w == "tie" else "bothBad"
            record[a][key] += 1
            record[b][key] += 1
        i, j = at[a], at[b]
        outcome = 2 if w in ("tie", "both_bad") else (0 if w == "a" else 1)
        if i > j:
            i, j = j, i
            outcome = {0: 1, 1: 0, 2: 2}[outcome]
        games[(i, j)][outcome] += 1
    pairs = np.array(list(games.keys()))
    counts = np.array(list(games.values()))
    gi, gj = pairs[:, 0], pairs[:, 1]

    def unpack(x):
        return np.append(x[:-1], 0.0), x[-1]

    def nll(x):
        theta, phi = unpack(x)
        ti, tj = theta[gi], theta[gj]
        tie = phi + (ti + tj) / 2
        log_d = np.logaddexp(np.logaddexp(ti, tj), tie)
        return -np.sum(counts[:, 0] * (ti - log_d) + counts[:, 1] * (tj - log_d) + counts[:, 2] * (tie - log_d))

    def grad(x):
        theta, phi = unpack(x)
        ti, tj = theta[gi], theta[gj]
        tie = phi + (ti + tj) / 2
        log_d = np.logaddexp(np.logaddexp(ti, tj), tie)
        pi_, pj_, pt_ = np.exp(ti - log_d), np.exp(tj - log_d), np.exp(tie - log_d)
        n = counts.sum(axis=1)
        # d loglik / d theta_i = (wins_i + ties/2) - n (p_i + p_t/2), likewise j; d / d phi = ties - n p_t
        g_theta = np.zeros(k)
        np.add.at(g_theta, gi, counts[:, 0] + counts[:, 2] / 2 - n * (pi_ + pt_ / 2))
        np.add.at(g_theta, gj, counts[:, 1] + counts[:, 2] / 2 - n * (pj_ + pt_ / 2))
        g_phi = np.sum(counts[:, 2] - n * pt_)
        return -np.append(g_theta[:-1], g_phi)

    x0 = np.zeros(k)
    res = optimize.minimize(nll, x0, jac=grad, method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
    # BFGS stops on precision loss near 1e-8 of gradient; solving grad = 0 from there (MINPACK's
    # hybrid method) takes the optimum to rounding level.
    polish = optimize.root(grad, res.x, jac=lambda x: approx_hess3(x, nll), tol=1e-14)
    x = polish.x if np.max(np.abs(grad(polish.x))) < np.max(np.abs(grad(res.x))) else res.x
    theta, phi = unpack(x)
    centred = theta - theta.mean()
    hess = approx_hess3(x, nll)
    cov_x = np.linalg.inv(hess)
    embed = np.vstack([np.eye(k - 1), np.zeros((1, k - 1))])  # theta = embed @ x[:-1]
    centre = np.eye(k) - np.ones((k, k)) / k
    cov_theta = centre @ embed @ cov_x[:-1, :-1] @ embed.T @ centre.T
    se = POINTS_PER_NAT * np.sqrt(np.diag(cov_theta))
    nu = math.exp(phi)
    ratings = []
    for m in models:
        i = at[m]
        ratings.append(
            {
                **record[m],
                "rating": 1000 + POINTS_PER_NAT * centred[i],
                "se": float(se[i]),
                "strength": math.exp(centred[i]),
                "logStrength": float(centred[i]),
            }
        )
    ratings.sort(key=lambda r: -r["rating"])
    for rank, r in enumerate(ratings, 1):
        r["rank"] = rank
    return {
        "ratings": ratings,
        "nu": nu,
        "nuSe": nu * math.sqrt(cov_x[-1, -1]),
        "logLikelihood": -float(nll(x)),
        "games": int(counts.sum()),
        "optimizer": {"bfgsIterations": int(res.nit), "maxAbsGradient": float(np.max(np.abs(grad(x))))},
    }


# --- datasets --------------------------------------------------------------------------------


def text_of(t):
    return t if isinstance(t, str) else "\n".join(f"{m['role']}: {m['content']}" for m in t)


def hand_items():
    pairs = json.loads((FIXTURES / "hand-pairs.json").read_text())
    items = []
    for p in pairs:
        items.append(
            {
                "prompt": text_of(p["prompt"]),
                "A": text_of(p["responseA"]),
                "B": text_of(p["responseB"]),
                "winner": p["winner"],
                "modelA": p["modelA"],
                "modelB": p["modelB"],
                "annotator": p.get("annotatorId"),
                "taskType": p.get("taskType"),
                "votes": p.get("votes"),
            }
        )
    return items


def expand_votes(votes):
    """A votes object as the list of category codes of its raters (0 a, 1 b, 2 tie, 3 both_bad)."""
    return [c for c, w in enumerate(WINNERS) for _ in range(votes[w])]


def response_text(value):
    # Six responses in the file are the JSON value true; the importer keeps them as "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def pandalm_items(path):
    rows = json.loads(Path(path).read_text())
    items = []
    labels = {"annotator1": [], "annotator2": [], "annotator3": []}
    for r in rows:
        votes = [str(r[f"annotator{k}"]) for k in (1, 2, 3)]
        for k in (1, 2, 3):
            labels[f"annotator{k}"].append(votes[k - 1])
        ones, twos = votes.count("1"), votes.count("2")
        winner = "a" if ones >= 2 else "b" if twos >= 2 else "tie"
        model_a, model_b = r["cmp_key"].split("_")
        items.append(
            {
                "prompt": r["instruction"] + ("\n\n" + r["input"] if r["input"] else ""),
                "A": response_text(r["response1"]),
                "B": response_text(r["response2"]),
                "winner": winner,
                "modelA": model_a,
                "modelB": model_b,
                "taskType": r["motivation_app"],
                "codes": [{"1": 0, "2": 1, "0": 2}[v] for v in votes],
            }
        )
    return items, labels


LABEL = {"1": "a", "2": "b", "0": "tie"}


def report(items):
    return {
        "winners": winner_distribution(items),
        "positionBias": position_bias(items),
        "lengthBias": length_bias(items),
        "lengths": length_distributions(items),
        "perTaskType": breakdown(items, "taskType"),
        "perModel": per_model(items),
        "leaderboard": davidson(items),
    }


def write(name, data):
    path = FIXTURES / name
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    print(f"wrote {path.relative_to(REPO)}")


def math_cases():
    quantiles = [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999999]
    binomial = [
        (9, 15, 0.5), (0, 10, 0.5), (10, 10, 0.5), (5, 10, 0.5), (1, 1, 0.5), (3, 20, 0.3), (7, 20, 0.3),
        (9, 20, 0.3), (1, 1000, 0.01), (25, 1000, 0.01), (427, 902, 0.5), (4750, 10000, 0.5),
        (49_000, 100_000, 0.5), (123_456, 250_000, 0.5), (100, 1000, 0.5), (2, 7, 0.9),
    ]
    wilson = [(9, 15, 0.95), (0, 10, 0.95), (10, 10, 0.95), (1, 1, 0.9), (427, 902, 0.95), (50, 1000, 0.99), (3, 7, 0.5)]
    return {
        "normalQuantile": [{"p": p, "z": float(stats.norm.ppf(p))} for p in quantiles],
        "binomialTest": [
            {"k": k, "n": n, "p": p, "pValue": float(stats.binomtest(k, n, p).pvalue)} for k, n, p in binomial
        ],
        "wilson": [
            {
                "k": k,
                "n": n,
                "confidence": c,
                "lower": float(proportion_confint(k, n, alpha=1 - c, method="wilson")[0]),
                "upper": float(proportion_confint(k, n, alpha=1 - c, method="wilson")[1]),
            }
            for k, n, c in wilson
        ],
    }


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PANDALM
    FIXTURES.mkdir(parents=True, exist_ok=True)
    write("math.json", math_cases())

    hand = hand_items()
    voted = [it for it in hand if it["votes"]]
    three = [expand_votes(it["votes"]) for it in voted if sum(it["votes"].values()) == 3]
    write(
        "hand-expected.json",
        {
            **report(hand),
            "perAnnotator": breakdown(hand, "annotator"),
            "votesAgreement": votes_agreement(three),
            "annotatorAgreement": annotator_agreement([it for it in hand if it["annotator"]]),
        },
    )

    items, labels = pandalm_items(source)
    # Cohen's kappa per pair of the three annotator columns, over all 999 rows as they stand ...
    columns = {}
    for x, y in (("annotator1", "annotator2"), ("annotator1", "annotator3"), ("annotator2", "annotator3")):
        lx, ly = [LABEL[v] for v in labels[x]], [LABEL[v] for v in labels[y]]
        columns[f"{x}|{y}"] = {
            "annotatorA": x,
            "annotatorB": y,
            "sharedItems": len(lx),
            "agreement": float(np.mean(np.asarray(lx) == np.asarray(ly))),
            "kappa": float(cohen_kappa_score(lx, ly)),
        }
    # ... and with the rows that show the same prompt and responses merged into one item.
    rows = [
        {**it, "annotator": name, "winner": LABEL[labels[name][i]]}
        for i, it in enumerate(items)
        for name in ("annotator1", "annotator2", "annotator3")
    ]
    write(
        "pandalm-expected.json",
        {
            "source": "PandaLM data/testset-v1.json (WeOpenML/PandaLM, Apache-2.0), the file public/demo/ is built from",
            **report(items),
            "votesAgreement": votes_agreement([it["codes"] for it in items]),
            "annotatorColumns": list(columns.values()),
            "annotatorAgreement": annotator_agreement(rows),
            # The three annotators' labels, row by row ("1" response1, "2" response2, "0" tie), so
            # that the TypeScript test can build per-annotator rows without the raw file.
            "labels": {name: "".join(values) for name, values in labels.items()},
        },
    )


if __name__ == "__main__":
    main()
