"""Routing accuracy of the offline assistant router, per language, on the hand-written sets.

Reads ``tests/assistant/data/routing_{en,zh}.tsv``. The held-out split (see that folder's
README.md: sha1 of the message, first byte mod 10 < 4) was never used for tuning; dev errors are
printed so the rules can be improved, held-out errors only counted. Baselines in the same run:
the majority class, and the router without the engines' own parsers (when those are wired in).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import Counter
from typing import Any

from benchmarks._common import ROOT, write_result
from lingxi.assistant.router import Router
from lingxi.assistant.skills import FacadeHome
from lingxi.data.repos import identity

DATA = ROOT / "tests" / "assistant" / "data"


def load(language: str) -> list[tuple[str, str, str]]:
    """``(skill, message, split)`` rows of one language."""
    rows = []
    for line in (DATA / f"routing_{language}.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        skill, text = line.split("\t", 1)
        split = "heldout" if hashlib.sha1(text.encode()).digest()[0] % 10 < 4 else "dev"
        rows.append((skill, text, split))
    return rows


def load_fresh(language: str) -> list[tuple[str, str, str]]:
    """The second held-out set, written after the rules were frozen."""
    rows = []
    for line in (DATA / f"routing_fresh_{language}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            skill, text = line.split("\t", 1)
            rows.append((skill, text, "fresh"))
    return rows


def _accuracy(router: Any, rows: list[tuple[str, str, str]]) -> float:
    return sum(router.route(t).skill == s for s, t, _ in rows) / len(rows)


def main() -> None:
    # The home engine's parser needs a household's devices: the demo's Chen family.
    from benchmarks.bench_assistant_latency import _db
    from lingxi.home import HomeController

    db = _db()
    with db.session() as s:
        mei = identity.find_customer_by_email(s, email="mei@demo.lingxi")
    assert mei is not None
    household = mei.household_id
    home = FacadeHome(HomeController(db))
    with_home = Router(home_matcher=home.matches)
    rules_only = Router()

    class _Bound:
        def route(self, text: str) -> Any:
            return with_home.route(text, household_id=household)

    full: Any = rules_only  # what the assistant uses
    with_parser: Any = _Bound()
    result: dict[str, object] = {
        "router": "rules (EN+ZH); rules plus the home parser is the alternative measured"
    }
    for language in ("en", "zh"):
        rows = load(language)
        dev = [r for r in rows if r[2] == "dev"]
        held = [r for r in rows if r[2] == "heldout"]
        majority = Counter(s for s, _, _ in dev).most_common(1)[0][0]
        for s_, t_, _ in dev:
            got = rules_only.route(t_)
            if got.skill != s_:
                print(f"  dev miss without the home parser [{language}] {s_} -> {got.skill}: {t_}")
        for _ in range(3):  # warm up
            for _, text, _ in rows:
                full.route(text)
        times = []
        for _, text, _ in rows:
            t0 = time.perf_counter()
            full.route(text)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        confusion = Counter(
            f"{s}->{full.route(t).skill}" for s, t, _ in held if full.route(t).skill != s
        )
        for s, t, _ in dev:
            got = full.route(t)
            if got.skill != s:
                print(f"  dev miss [{language}] {s} -> {got.skill}/{got.intent}: {t}")
        fresh = load_fresh(language)
        result[language] = {
            "messages": len(rows),
            "fresh_heldout": len(fresh),
            "accuracy_fresh_heldout": round(_accuracy(full, fresh), 4),
            "dev": len(dev),
            "heldout": len(held),
            "accuracy_heldout": round(_accuracy(full, held), 4),
            "accuracy_dev": round(_accuracy(full, dev), 4),
            "accuracy_all": round(_accuracy(full, rows), 4),
            "heldout_errors": dict(confusion),
            "baseline_majority_class_heldout": round(
                sum(s == majority for s, _, _ in held) / len(held), 4
            ),
            "alternative_rules_plus_home_parser_heldout": round(_accuracy(with_parser, held), 4),
            "alternative_rules_plus_home_parser_fresh_heldout": round(
                _accuracy(with_parser, fresh), 4
            ),
            "latency_ms_p50": round(statistics.median(times), 4),
            "latency_ms_p95": round(times[int(0.95 * (len(times) - 1))], 4),
        }
    write_result("bench_assistant_routing", result)


if __name__ == "__main__":
    main()
