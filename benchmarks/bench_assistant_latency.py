"""Assistant latency per message, warm: offline (router + skill + storage), and with an LLM.

* ``offline_guide_only``: the router, every skill and the database writes (turns, tool-call
  audit, state), with the real guide but no home controller and no delivery planner.
* ``offline_real_engines``: the same messages with the engines' facades as shipped
  (``ShoppingGuide`` from the data layer, ``HomeController`` with in-process devices).
* ``llm_overhead``: the scripted OpenAI-compatible server (real HTTP on 127.0.0.1) answers each
  message with a tool call; the overhead is the handle time minus the time spent inside the
  model calls (prompt building, parsing, validation, skills, storage).

Messages: the hand-written routing sets (both languages), each in a fresh conversation so no
confirmation carries over. Demo data in a SQLite file cached under ``var/``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict
from typing import Any

from benchmarks._common import ROOT, write_result
from benchmarks.bench_assistant_routing import load
from lingxi.assistant import Assistant, Engines, LazyGuide, Router, default_engines
from lingxi.assistant.language import is_no, is_yes
from lingxi.config import Settings
from lingxi.data import Database, upgrade
from lingxi.data.repos import identity
from lingxi.data.repos.demo import load_demo


def _db() -> Database:
    path = ROOT / "var" / "assistant_bench.db"  # git-ignored; reused between runs
    path.parent.mkdir(exist_ok=True)
    fresh = not path.exists()
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    if fresh:
        load_demo(db)
    return db


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def _summary(times: dict[str, list[float]], cpu: list[float] | None = None) -> dict[str, Any]:
    every = [t for ts in times.values() for t in ts]
    extra = {}
    if cpu:
        # CPU time of this process per message: what the work costs, without the waits of a
        # machine shared with other jobs (the wall-clock figures include those).
        extra = {"cpu_p50_ms": round(statistics.median(cpu), 3), "cpu_p95_ms": _pct(cpu, 0.95)}
    return {
        **extra,
        "messages": len(every),
        "p50_ms": round(statistics.median(every), 3),
        "p95_ms": _pct(every, 0.95),
        "max_ms": round(max(every), 3),
        "p95_ms_by_skill": {k: _pct(v, 0.95) for k, v in sorted(times.items())},
    }


def _run(assistant: Assistant, member: Any, messages: list[tuple[str, str]]) -> dict[str, Any]:
    for _, text in messages:  # warm-up pass: caches, indexes, first queries
        assistant.handle(text, member)
    times: dict[str, list[float]] = defaultdict(list)
    cpu: list[float] = []
    for skill, text in messages:
        t0, c0 = time.perf_counter(), time.process_time()
        assistant.handle(text, member)
        times[skill].append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return _summary(times, cpu)


def _llm(db: Database, member: Any, messages: list[tuple[str, str]]) -> dict[str, Any]:
    from tests.assistant.fake_llm import serve

    router = Router()
    with serve() as fake:
        settings = Settings(
            environment="test",
            llm={"base_url": fake.url, "timeout_s": 10.0},  # type: ignore[arg-type]
        )
        assistant = Assistant(db, settings=settings, engines=Engines(guide=LazyGuide(db)))
        overheads: dict[str, list[float]] = defaultdict(list)
        model_ms: list[float] = []
        for rounds in (1, 2):  # the first round warms up
            for skill, text in messages:
                if is_yes(text) or is_no(text):
                    continue  # answered before the model is asked (nothing pending)
                route = router.route(text)
                fake.script.clear()
                fake.push({"tool": route.skill, "arguments": {"intent": route.intent}})
                t0 = time.perf_counter()
                reply = assistant.handle(text, member)
                total = time.perf_counter() - t0
                assert reply.source == "llm"
                if rounds == 2:
                    model = assistant.llm.stats.last_model_s  # type: ignore[union-attr]
                    overheads[skill].append((total - model) * 1000)
                    model_ms.append(model * 1000)
    out = _summary(overheads)
    out["model_call_ms_p50_scripted_server"] = round(statistics.median(model_ms), 3)
    return out


def main() -> None:
    db = _db()
    with db.session() as s:
        member = identity.find_customer_by_email(s, email="mei@demo.lingxi")
    assert member is not None
    messages = [(s, t) for lang in ("en", "zh") for s, t, _ in load(lang)]
    result: dict[str, Any] = {
        "target_offline_p95_ms": 50,
        "target_llm_overhead_p95_ms": 20,
        "load_average_at_start": list(os.getloadavg()),
    }
    t0 = time.perf_counter()
    real = Assistant(db, engines=default_engines(db))
    real.engines.guide.recommend_for(db, "warm", customer_id=None, k=1)  # build the guide once
    result["real_engines_build_s"] = round(time.perf_counter() - t0, 2)
    result["offline_guide_only"] = _run(
        Assistant(db, engines=Engines(guide=real.engines.guide)), member, messages
    )
    result["offline_real_engines"] = _run(real, member, messages)
    result["llm_overhead"] = _llm(db, member, messages)
    result["load_average_at_end"] = list(os.getloadavg())
    write_result("bench_assistant_latency", result)


if __name__ == "__main__":
    main()
