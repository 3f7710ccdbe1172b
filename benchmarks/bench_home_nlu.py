"""Smart-home language understanding: Home Assistant's suite (tier 1) and natural phrasing.

* Tier 1 on Home Assistant's own slot-combination suite (``../shared/data/home/
  ha_intents_tests_ohf2026``, en and zh-CN): share of sentences with the expected intent,
  slot combination and slots (target: 100 %).
* The natural-phrasing sets (``tests/home/data/natural_{en,zh}.txt``, written for this
  project as people talk to a speaker), scored with tier 1 alone (the Home Assistant Assist
  baseline) and with tiers 1+2, on the dev split (tuned on) and the held-out split (a third of
  the rows chosen by a hash of the text, never tuned on). Intent accuracy = the command
  intents in order; exact = intents, value slots and the resolved devices all right.
* Throughput: parses per second per language.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks._common import ROOT, SHARED_DATA, write_result
from lingxi.home import Parser
from lingxi.home.evaluation import demo_home, load_natural_set, run_ha_suite, score_case

NATURAL = ROOT / "tests" / "home" / "data"


def _natural(
    parser: Parser, path: Path, tiers: tuple[int, ...]
) -> dict[str, dict[str, float | int]]:
    cases = load_natural_set(path)
    out: dict[str, dict[str, float | int]] = {}
    for split in ("dev", "held_out", "all"):
        chosen = [c for c in cases if split == "all" or c.held_out == (split == "held_out")]
        scores = [score_case(c, parser.parse(c.text, tiers=tiers)) for c in chosen]
        out[split] = {
            "n": len(chosen),
            "intent_accuracy": round(sum(s[0] for s in scores) / len(scores), 4),
            "exact_slots": round(sum(s[1] for s in scores) / len(scores), 4),
        }
    return out


def main() -> None:
    suite = SHARED_DATA / "home" / "ha_intents_tests_ohf2026"
    result: dict[str, object] = {"ha_suite": {}, "natural": {}, "throughput_per_s": {}}
    for language in ("en", "zh-CN"):
        t0 = time.perf_counter()
        report = run_ha_suite(suite, language)
        result["ha_suite"][language] = {  # type: ignore[index]
            "sentences": report.total,
            "passed": report.passed,
            "accuracy": round(report.accuracy, 4),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    parser = Parser(demo_home(), context_area="living_room")
    for language in ("en", "zh"):
        path = NATURAL / f"natural_{language}.txt"
        result["natural"][language] = {  # type: ignore[index]
            "tier1_only (HA Assist baseline)": _natural(parser, path, (1,)),
            "tiers_1_2": _natural(parser, path, (1, 2)),
        }
        texts = [c.text for c in load_natural_set(path)]
        t0 = time.perf_counter()
        for text in texts:
            parser.parse(text)
        result["throughput_per_s"][language] = round(len(texts) / (time.perf_counter() - t0), 1)  # type: ignore[index]
    result["targets"] = {"ha_suite": 1.0, "intent_accuracy": 0.9, "exact_slots": 0.85}
    # Seconds and throughput depend on what else runs on the (shared, 2-core) machine.
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    write_result("bench_home_nlu", result)


if __name__ == "__main__":
    main()
