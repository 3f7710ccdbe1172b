"""Routing accuracy of the offline assistant router, per language, on the hand-written sets.

Reads ``tests/assistant/data/routing_{en,zh}.tsv``. The held-out split (see that folder's
README.md: sha1 of the message, first byte mod 10 < 4) was never used for tuning; dev errors are
printed so the rules can be improved, held-out errors only counted. Two later held-out sets are
only scored: ``routing_fresh_*`` (written after the rules were frozen) and ``routing_fresh2_*``
(written before the learned classifier was built; ``fresh2_novel`` leaves out its messages that
happen to repeat one of the earlier sets word for word).

The router blends the hand rules with a naive Bayes classifier trained on the dev split only
(``lingxi/assistant/routing_train.json``; ``--write-train`` regenerates it from the dev split,
``--cv`` prints the 5-fold cross-validation on the dev split used to pick its smoothing and
temperature). Baselines in the same run: the majority class of the dev split, the rules alone, the
classifier alone, and the blend plus the home engine's parser.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from typing import Any

from benchmarks._common import ROOT, write_result
from lingxi.assistant import home_matcher
from lingxi.assistant.classifier import TRAIN_FILE, NaiveBayes
from lingxi.assistant.router import Router
from lingxi.data.repos import identity

DATA = ROOT / "tests" / "assistant" / "data"
Rows = list[tuple[str, str, str]]


def split_of(text: str) -> str:
    """``heldout`` for about 40 % of messages (by sha1 of the text), else ``dev``."""
    return "heldout" if hashlib.sha1(text.encode()).digest()[0] % 10 < 4 else "dev"


def _read(name: str, split: str | None) -> Rows:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            skill, text = line.split("\t", 1)
            rows.append((skill, text, split or split_of(text)))
    return rows


def load(language: str) -> Rows:
    """``(skill, message, split)`` rows of one language."""
    return _read(f"routing_{language}.tsv", None)


def load_fresh(language: str) -> Rows:
    """The second held-out set, written after the rules were frozen."""
    return _read(f"routing_fresh_{language}.tsv", "fresh")


def load_fresh2(language: str) -> Rows:
    """The third held-out set, written before the learned classifier was built."""
    return _read(f"routing_fresh2_{language}.tsv", "fresh2")


def load_fresh3(language: str) -> Rows:
    """The fourth held-out set (2026-11-26), written before that day's router changes."""
    return _read(f"routing_fresh3_{language}.tsv", "fresh3")


def train_rows(language: str) -> list[tuple[str, str]]:
    """The classifier's training rows: every set but the newest held-out one (``fresh3``).

    Until 2026-11-26 only the dev split was trained on; once the fourth held-out set was
    written, the earlier held-out sets became development data (their errors were used for the
    rules) and the classifier learns from them too. Duplicates (same text) are kept once.
    """
    seen: set[str] = set()
    out = []
    for s, t, _ in load(language) + load_fresh(language) + load_fresh2(language):
        if t not in seen:
            seen.add(t)
            out.append((s, t))
    return out


def write_train() -> None:
    """Write the training rows (:func:`train_rows`) as the classifier's training data."""
    data = {lang: [[s, t] for s, t in train_rows(lang)] for lang in ("en", "zh")}
    TRAIN_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print({k: len(v) for k, v in data.items()}, "rows written to", TRAIN_FILE)


def cross_validate() -> None:
    """5-fold CV of the classifier alone on its training rows: accuracy and log-loss per setting."""
    for language in ("en", "zh"):
        dev = train_rows(language)
        folds = [dev[i::5] for i in range(5)]
        for alpha in (0.1, 0.3, 1.0):
            for temp in (1.0, 4.0, 8.0, 16.0):
                hit, loss = 0, 0.0
                for k in range(5):
                    train = [r for j, f in enumerate(folds) if j != k for r in f]
                    nb = NaiveBayes(alpha=alpha, temperature=temp).fit(train)
                    for s, t in folds[k]:
                        p = nb.proba(t)
                        hit += max(p, key=p.__getitem__) == s
                        loss -= math.log(max(p.get(s, 0.0), 1e-9))
                print(
                    f"{language} alpha={alpha} T={temp}: acc {hit / len(dev):.4f} "
                    f"logloss {loss / len(dev):.4f}"
                )


INTENTS = ROOT / "benchmarks" / "data" / "assistant"


def load_intents(language: str, split: str) -> list[tuple[str, str, str]]:
    """``(skill, intent, message)`` of the order-history / compare / refine set (``dev`` or
    ``heldout``; see benchmarks/data/assistant/README.md)."""
    rows = []
    for line in (INTENTS / f"intents_{split}_{language}.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            skill, intent, text = line.split("\t", 2)
            rows.append((skill, intent, text))
    return rows


def score_intents(router: Any, *, show_dev_misses: bool = False) -> dict[str, Any]:
    """Skill and skill+intent accuracy per language on the intents sets, dev and held-out apart
    (dev misses printed, held-out ones only counted)."""
    out: dict[str, Any] = {}
    for language in ("en", "zh"):
        for split in ("dev", "heldout"):
            rows = load_intents(language, split)
            got = [router.route(t) for _, _, t in rows]
            per: dict[str, list[int]] = {}
            for (skill, intent, text), r in zip(rows, got, strict=True):
                hit = r.skill == skill and r.intent == intent
                per.setdefault(f"{skill}/{intent}", []).append(int(hit))
                if show_dev_misses and split == "dev" and not hit:
                    print(
                        f"  intents dev miss [{language}] {skill}/{intent} -> {r.skill}/{r.intent}: {text}"
                    )
            out[f"{language}_{split}"] = {
                "n": len(rows),
                "skill": round(
                    sum(r.skill == s for (s, _, _), r in zip(rows, got, strict=True)) / len(rows), 4
                ),
                "skill_and_intent": round(sum(sum(v) for v in per.values()) / len(rows), 4),
                "per_intent": {k: round(sum(v) / len(v), 4) for k, v in sorted(per.items())},
            }
    return out


def intents_only(label: str) -> None:
    """``--intents LABEL``: only the intents sets, blend and rules alone, to
    ``results/bench_assistant_routing_intents_LABEL.json`` (``before`` = the router as it was
    when the sets were written)."""
    result = {
        "sets": "benchmarks/data/assistant/intents_{dev,heldout}_{en,zh}.tsv",
        "blend": score_intents(Router(), show_dev_misses=True),
        "baseline_rules_only": score_intents(Router(classifier=None)),
    }
    print(json.dumps(result["blend"], indent=1))
    write_result(f"bench_assistant_routing_intents_{label}", result)


def _accuracy(router: Any, rows: Rows) -> float:
    return round(sum(bool(router.route(t).skill == s) for s, t, _ in rows) / len(rows), 4)


def run() -> None:
    # The home engine's parser needs a household's devices: the demo's Chen family.
    from benchmarks.bench_assistant_latency import _db
    from lingxi.home import HomeController

    db = _db()
    with db.session() as session:
        mei = identity.find_customer_by_email(session, email="mei@demo.lingxi")
    assert mei is not None
    household = mei.household_id
    matches = home_matcher(HomeController(db))
    blend = Router()  # what the assistant uses
    rules_only = Router(classifier=None)
    with_home = Router(home_matcher=matches)

    class _Bound:
        def route(self, text: str) -> Any:
            return with_home.route(text, household_id=household)

    class _LearnedOnly:
        def __init__(self) -> None:
            self.router = Router(learned_weight=1000.0)

        def route(self, text: str) -> Any:
            return self.router.route(text)

    routers: dict[str, Any] = {
        "blend": blend,
        "rules_only": rules_only,
        "learned_only": _LearnedOnly(),
        "blend_plus_home_parser": _Bound(),
    }
    result: dict[str, object] = {
        "router": "hand rules + naive Bayes (dev split only), weight 3.0; baselines in the same run",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    for language in ("en", "zh"):
        rows = load(language)
        dev = [r for r in rows if r[2] == "dev"]
        held = [r for r in rows if r[2] == "heldout"]
        fresh = load_fresh(language)
        fresh2 = load_fresh2(language)
        fresh3 = load_fresh3(language)
        earlier = {t for _, t, _ in rows + fresh}
        novel = [r for r in fresh2 if r[1] not in earlier]
        majority = Counter(s for s, _, _ in dev).most_common(1)[0][0]
        for s, t, _ in dev:
            got = blend.route(t)
            if got.skill != s:
                print(f"  dev miss [{language}] {s} -> {got.skill}/{got.intent}: {t}")
        for _ in range(3):  # warm up
            for _, text, _ in rows:
                blend.route(text)
        times = []
        for _, text, _ in rows + fresh + fresh2 + fresh3:
            t0 = time.perf_counter()
            blend.route(text)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        sets = {
            "dev": dev,
            "heldout": held,
            "fresh": fresh,
            "fresh2": fresh2,
            "fresh2_novel": novel,
            "fresh3": fresh3,
        }
        entry: dict[str, object] = {
            "sizes": {k: len(v) for k, v in sets.items()},
            "majority_class": majority,
        }
        for name, router in routers.items():
            entry[name] = {k: _accuracy(router, v) for k, v in sets.items()}
        entry["baseline_majority_class"] = {
            k: round(sum(s == majority for s, _, _ in v) / len(v), 4) for k, v in sets.items()
        }
        entry["heldout_errors_blend"] = dict(
            Counter(f"{s}->{blend.route(t).skill}" for s, t, _ in held if blend.route(t).skill != s)
        )
        entry["fresh3_errors_blend"] = dict(
            Counter(
                f"{s}->{blend.route(t).skill}" for s, t, _ in fresh3 if blend.route(t).skill != s
            )
        )
        entry["latency_ms_p50"] = round(statistics.median(times), 4)
        entry["latency_ms_p95"] = round(times[int(0.95 * (len(times) - 1))], 4)
        result[language] = entry
    result["intents"] = score_intents(blend)
    write_result("bench_assistant_routing", result)


def main(argv: list[str]) -> None:
    """``--write-train``, ``--cv``, ``--intents LABEL``, or (no option) the whole benchmark."""
    if "--write-train" in argv:
        write_train()
    elif "--cv" in argv:
        cross_validate()
    elif "--intents" in argv:
        intents_only(argv[argv.index("--intents") + 1])
    else:
        run()


if __name__ == "__main__":
    main(sys.argv[1:])
