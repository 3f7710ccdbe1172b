"""Personal recommender on Amazon Beauty (S3-Rec preprocessing): leave-one-out, full ranking.

Protocol (as S3-Rec/ICLRec/eSASRec): each user's last item is the test target, the second last the
validation target. Every one of the 12,101 items is ranked (no sampled negatives); items already
in the input history are excluded from the ranking (the file's test items never repeat an earlier
item). Hyperparameters are chosen on validation NDCG@10 only (models fitted on ``seq[:-2]``,
scoring ``seq[:-2] -> seq[-2]``). The test split (``seq[:-1] -> seq[-1]``) is then scored twice
for the chosen SLIST model, both reported:

* ``test_fit_on_train``: the model fitted on ``seq[:-2]`` (validation items never trained on);
* ``test_refit_with_validation``: the same hyperparameters refitted on ``seq[:-1]`` (the test
  items are still never seen), the usual final step after model selection.

The model is SLIST plus an item-attribute similarity (``Beauty_item2attributes.json``: S3-Rec's
brand/category ids) added to its item-item matrix; the attribute weight and the profile decay are
chosen on validation, and every weight's test figure is also reported for transparency.

EASE (l2=50, recency-weighted profile, decay chosen on validation) and popularity are the
baselines of the same run (``test_fit_on_train`` only; EASE's refit, 0.0889 / 0.0529 in the
run of commit 57e13c6, is left out to keep the run short on the shared machine).

Run: ``nice -n 10 .venv/bin/python -m benchmarks bench_guide_recommender``
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks._common import SHARED_DATA, write_result
from lingxi.guide.recommender import (
    EASERecommender,
    PopularityRecommender,
    Recommender,
    SLISTRecommender,
)

BATCH = 2048


def load_beauty() -> tuple[list[list[int]], int]:
    """User sequences (0-based item ids) and the item count."""
    seqs: list[list[int]] = []
    n_items = 0
    with (SHARED_DATA / "guide" / "Beauty.txt").open() as fh:
        for line in fh:
            parts = line.split()
            items = [int(x) - 1 for x in parts[1:]]
            n_items = max(n_items, *items)
            seqs.append(items)
    return seqs, n_items + 1


def load_attributes(n_items: int) -> list[list[int]]:
    """Attribute ids of every item (brand, categories) from S3-Rec's item2attributes file."""
    raw = json.loads((SHARED_DATA / "guide" / "Beauty_item2attributes.json").read_text())
    attrs: list[list[int]] = [[] for _ in range(n_items)]
    for item, ids in raw.items():
        attrs[int(item) - 1] = [int(a) for a in ids]
    return attrs


def evaluate(
    model: Recommender, inputs: Sequence[Sequence[int]], targets: Sequence[int]
) -> dict[str, float]:
    """HR@10 and NDCG@10 over the full item set, history items excluded."""
    hits = 0.0
    ndcg = 0.0
    tgt = np.asarray(targets)
    for start in range(0, len(inputs), BATCH):
        batch = inputs[start : start + BATCH]
        scores = model.score(batch)
        for r, seq in enumerate(batch):
            scores[r, np.asarray(seq)] = -np.inf
        t = tgt[start : start + BATCH]
        target_scores = scores[np.arange(len(batch)), t]
        ranks = (scores > target_scores[:, None]).sum(axis=1)
        top = ranks < 10
        hits += float(top.sum())
        ndcg += float((1.0 / np.log2(ranks[top] + 2.0)).sum())
    n = len(inputs)
    return {"hr@10": round(hits / n, 4), "ndcg@10": round(ndcg / n, 4)}


def _fit(model: Any, train: list[list[int]], n_items: int) -> float:
    t0 = time.perf_counter()
    model.fit(train, n_items=n_items)
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    seqs, n_items = load_beauty()
    train = [s[:-2] for s in seqs]
    val_in, val_t = train, [s[-2] for s in seqs]
    test_in, test_t = [s[:-1] for s in seqs], [s[-1] for s in seqs]
    print(f"users={len(seqs)} items={n_items} interactions={sum(map(len, seqs))}", flush=True)
    results: dict[str, Any] = {"users": len(seqs), "items": n_items, "threads": os.cpu_count()}

    pop = PopularityRecommender()
    results["popularity"] = {
        "train_s": _fit(pop, train, n_items),
        "test_fit_on_train": evaluate(pop, test_in, test_t),
    }
    print("popularity", results["popularity"], flush=True)

    # EASE baseline: l2=50 as in the issue; the profile decay picked on validation.
    decays: tuple[float | None, ...] = (None, 1.0, 2.0, 4.0, 8.0)
    ease = EASERecommender(l2=50.0)
    ease_time = _fit(ease, train, n_items)
    ease_val = {}
    for decay in decays:
        ease.profile_decay = decay
        ease_val[str(decay)] = evaluate(ease, val_in, val_t)
        print("ease validation", decay, ease_val[str(decay)], flush=True)
    best_decay = max(ease_val, key=lambda d: ease_val[d]["ndcg@10"])
    ease.profile_decay = None if best_decay == "None" else float(best_decay)
    ease_test = evaluate(ease, test_in, test_t)
    del ease
    results["ease"] = {
        "params": {
            "l2": 50.0,
            "profile_decay": None if best_decay == "None" else float(best_decay),
        },
        "train_s": ease_time,
        "validation_by_decay": ease_val,
        "test_fit_on_train": ease_test,
    }
    print("ease", results["ease"], flush=True)

    # SLIST: alpha=0.2, l2=100, position_decay=1 were chosen on validation NDCG@10 by this file's
    # earlier grid (l2 in 10/30/100/300, alpha 0.1/0.2; result JSON of commit 57e13c6).
    # Here: SLIST alone, then SLIST plus the item-attribute similarity (Beauty_item2attributes.json)
    # with its weight and the profile decay chosen on validation. A quick search on a 6,000-user
    # validation subsample also tried adding a first-order Markov (item -> next item) matrix
    # (no gain at any weight 0.1..30), profile decays 0.5 and 3 (worse) and ranking seen items
    # too (worse; the benchmark excludes them, and the file's last items never repeat).
    item_attributes = load_attributes(n_items)
    base: dict[str, float] = {"alpha": 0.2, "l2": 100.0, "position_decay": 1.0}
    tried = []
    best_ndcg, best_row = -1.0, dict[str, Any]()
    slist_test: dict[str, Any] = {}
    for weight in (0.0, 0.007, 0.01, 0.014):
        model = SLISTRecommender(alpha=0.2, l2=100.0, position_decay=1.0, attribute_weight=weight)
        t0 = time.perf_counter()
        model.fit(train, n_items=n_items, item_attributes=item_attributes)
        secs = round(time.perf_counter() - t0, 1)
        best_here, w_decay = -1.0, 1.0
        for pdecay in (1.0, 1.5, 2.0, 4.0):
            model.profile_decay = pdecay
            val = evaluate(model, val_in, val_t)
            row = {
                **base,
                "attribute_weight": weight,
                "profile_decay": pdecay,
                "train_s": secs,
                "validation": val,
            }
            tried.append(row)
            print("slist", row, flush=True)
            if val["ndcg@10"] > best_here:
                best_here, w_decay = val["ndcg@10"], pdecay
            if val["ndcg@10"] > best_ndcg:
                best_ndcg, best_row = val["ndcg@10"], row
        # Each weight's test figure at its own validation-chosen decay (for the report only;
        # the choice between weights is made on validation alone, above).
        model.profile_decay = w_decay
        slist_test[str(weight)] = {
            "profile_decay": w_decay,
            "test": evaluate(model, test_in, test_t),
        }
        print("slist test", weight, slist_test[str(weight)], flush=True)
        del model
    keys = ("alpha", "l2", "position_decay", "attribute_weight", "profile_decay")
    chosen_params: dict[str, Any] = {k: best_row[k] for k in keys}
    refit = SLISTRecommender(**chosen_params)
    t0 = time.perf_counter()
    refit.fit(test_in, n_items=n_items, item_attributes=item_attributes)
    refit_time = round(time.perf_counter() - t0, 1)
    results["slist"] = {
        "chosen": chosen_params,
        "train_s": best_row["train_s"],
        "grid": tried,
        "test_fit_on_train_by_attribute_weight": slist_test,
        "test_fit_on_train": slist_test[str(best_row["attribute_weight"])]["test"],
        "refit_train_s": refit_time,
        "test_refit_with_validation": evaluate(refit, test_in, test_t),
    }
    del refit
    print("slist", results["slist"], flush=True)
    results["target"] = {"ndcg@10": 0.055, "hr@10": 0.095}
    results["published"] = {
        "eSASRec": {"hr@10": 0.0928, "ndcg@10": 0.0523},
        "SASRec_sampled_softmax": {"hr@10": 0.0921, "ndcg@10": 0.0531},
        "SASRec": {"hr@10": 0.0605, "ndcg@10": 0.0318},
    }
    write_result("bench_guide_recommender", results)


if __name__ == "__main__":
    main()
