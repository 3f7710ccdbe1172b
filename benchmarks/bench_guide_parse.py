"""Need parsing: per-slot F1 per language on the hand-labelled request sets, and parse latency.

Sets: ``benchmarks/data/guide/parse_{en,zh}_{dev,heldout}.tsv`` (see the README there). The
parser was tuned on ``dev`` only; ``heldout`` is scored, never tuned on. Slots: category,
skin_types, min_price, max_price, brands, exclude_ingredients, include_ingredients. Single-valued
slots count a wrong value as one false positive and one false negative; set-valued slots are
micro-averaged over elements. A slot with no gold and no predicted values has F1 1.0.

Run: ``.venv/bin/python -m benchmarks bench_guide_parse``
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import write_result
from lingxi.errors import InvalidInputError
from lingxi.guide.constraints import parse_need

DATA = Path(__file__).resolve().parent / "data" / "guide"
SLOTS = (
    "category",
    "skin_types",
    "min_price",
    "max_price",
    "brands",
    "exclude_ingredients",
    "include_ingredients",
)
SET_SLOTS = {"skin_types", "brands", "exclude_ingredients", "include_ingredients"}


def load(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Rows of ``(text, gold)``."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        cols = (line.split("\t") + [""] * 8)[:8]
        text, cat, skin, lo, hi, brands, exc, inc = cols
        rows.append(
            (
                text,
                {
                    "category": cat or None,
                    "skin_types": {x for x in skin.split(";") if x},
                    "min_price": float(lo) if lo else None,
                    "max_price": float(hi) if hi else None,
                    "brands": {x for x in brands.split(";") if x},
                    "exclude_ingredients": {x for x in exc.split(";") if x},
                    "include_ingredients": {x for x in inc.split(";") if x},
                },
            )
        )
    return rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 0.011
    return bool(a == b)


def score(rows: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-slot precision/recall/F1 and the rows with any mistake."""
    counts = {s: [0, 0, 0] for s in SLOTS}  # tp, fp, fn
    errors = []
    for text, gold in rows:
        try:
            doc = parse_need(text).to_dict()
        except InvalidInputError as err:
            doc = {s: None for s in SLOTS}
            doc["error"] = err.message
        pred = {s: (set(doc[s] or []) if s in SET_SLOTS else doc[s]) for s in SLOTS}
        wrong = {}
        for s in SLOTS:
            g, p = gold[s], pred[s]
            c = counts[s]
            if s in SET_SLOTS:
                c[0] += len(g & p)
                c[1] += len(p - g)
                c[2] += len(g - p)
                if g != p:
                    wrong[s] = {"gold": sorted(g), "pred": sorted(p)}
            else:
                if g is not None and _same(g, p):
                    c[0] += 1
                else:
                    if p is not None:
                        c[1] += 1
                    if g is not None:
                        c[2] += 1
                    if not (g is None and p is None):
                        wrong[s] = {"gold": g, "pred": p}
        if wrong:
            errors.append({"text": text, **wrong})
    out: dict[str, Any] = {}
    for s, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[s] = {
            "f1": round(f1, 3),
            "precision": round(p, 3),
            "recall": round(r, 3),
            "support": tp + fn,
        }
    return out, errors


def latency(texts: list[str]) -> dict[str, float]:
    """Warm parse time in ms: p50/p95 over every call, and p95 over each text's median of 5
    calls (the machine is shared, so single calls include scheduler preemption)."""
    for t in texts:
        parse_need(t)
    per_text: list[list[float]] = [[] for _ in texts]
    for _ in range(5):
        for i, t in enumerate(texts):
            t0 = time.perf_counter()
            parse_need(t)
            per_text[i].append((time.perf_counter() - t0) * 1000)
    flat = [x for row in per_text for x in row]
    medians = [float(np.median(row)) for row in per_text]
    return {
        "p50_ms": round(float(np.percentile(flat, 50)), 3),
        "p95_ms": round(float(np.percentile(flat, 95)), 3),
        "p95_of_median_ms": round(float(np.percentile(medians, 95)), 3),
        "max_median_ms": round(max(medians), 3),
    }


def main() -> None:
    result: dict[str, Any] = {}
    all_texts = []
    for lang in ("en", "zh"):
        for split in ("dev", "heldout"):
            rows = load(DATA / f"parse_{lang}_{split}.tsv")
            all_texts += [t for t, _ in rows]
            slots, errors = score(rows)
            result[f"{lang}_{split}"] = {
                "n": len(rows),
                "slots": slots,
                "min_f1": min(v["f1"] for v in slots.values()),
                "errors": errors,
            }
    result["latency"] = latency(all_texts)
    result["target"] = {"f1_every_slot": 0.95, "parse_p95_ms": 10}
    write_result("bench_guide_parse", result)


if __name__ == "__main__":
    main()
