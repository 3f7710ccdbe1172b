"""Load: a real ``lingxi serve`` on PostgreSQL under a mixed workload, at stepped user counts.

One command, bounded in time (about 4 minutes at the defaults) and in requests::

    .venv/bin/python -m benchmarks bench_load [--steps 2,4,8,16,32] [--step-s 30]

It creates a fresh PostgreSQL database on 127.0.0.1:5432, migrates it and loads the demo,
starts ``lingxi serve`` on a free loopback port, plans today's deliveries (so traffic reports
re-plan real routes), then runs locust headless once per step (``benchmarks/locust_lingxi.py``:
recommend, home commands, chat, order tracking, plus one traffic report every 10 s). Each step
ramps up in 1 s, its statistics are reset once every user is running, and it lasts ``--step-s``
seconds or ``--max-requests`` requests, whichever comes first. Per step it reports sustained
requests/s, p50/p95/p99 latency (ms), errors (status >= 400 or no answer), per-endpoint figures,
the server's CPU seconds per request and the machine's load average; then the highest rate with
zero errors and p95 < 150 ms, and the first step that breaks either target. The server and the
database are removed afterwards.

Sign-in and chat rate limits are off for the run (``LINGXI_RATE_LIMIT__ENABLED=false``): all
simulated people share one client address and a few members, so the limits would answer 429 by
design; they are tested elsewhere. Locust itself runs on the same 2 cores as the server, so the
figures are a floor for a server with the machine to itself.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._common import write_result

PG_ADMIN = os.environ.get("LINGXI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LOCUSTFILE = Path(__file__).with_name("locust_lingxi.py")
BIN = Path(sys.executable).parent
P95_TARGET_MS = 150.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _wait_http(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


MEMBERS = [  # the demo households' members (lingxi/data/demo/households.yaml); mei is an owner
    ("mei@demo.lingxi", "lingxi-demo-mei", True),
    ("lei@demo.lingxi", "lingxi-demo-lei", False),
    ("alex@demo.lingxi", "lingxi-demo-alex", True),
]


def _prepare(base: str) -> list[dict[str, Any]]:
    """Sign the demo members in, note their orders and shipments, open conversations, and plan
    today's deliveries (so traffic reports re-plan real routes)."""
    import httpx

    fixtures = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for email, password, owner in MEMBERS:
            r = c.post("/api/auth/login", json={"email": email, "password": password})
            r.raise_for_status()
            headers = {"Authorization": f"Bearer {r.json()['token']}"}
            orders = c.get("/api/orders", headers=headers).json()["data"]
            conversations = [
                c.post("/api/assistant/conversations", json={}, headers=headers).json()["id"]
                for _ in range(8)
            ]
            fixtures.append(
                {
                    "token": r.json()["token"],
                    "owner": owner,
                    "orders": [o["id"] for o in orders],
                    "shipments": [s["id"] for o in orders for s in o["shipments"]],
                    "conversations": conversations,
                }
            )
        day = datetime.now(UTC).date().isoformat()
        c.post(
            "/api/dispatch/plan",
            json={"day": day, "time_limit_s": 2},
            headers={"Authorization": f"Bearer {fixtures[0]['token']}"},
        ).raise_for_status()
    return fixtures


def _read_stats(prefix: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    per: dict[str, Any] = {}
    total: dict[str, Any] = {}
    for row in rows:
        n = int(row["Request Count"])
        doc = {
            "requests": n,
            "errors": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 2),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "p99_ms": float(row["99%"] or 0),
            "mean_ms": round(float(row["Average Response Time"] or 0), 1),
        }
        if row["Name"] == "Aggregated":
            total = doc
        else:
            per[f"{row['Type']} {row['Name']}"] = doc
    return total, per


def _step(
    users: int,
    base: str,
    seconds: int,
    max_requests: int,
    work: Path,
    server: int,
    fixtures: list[dict[str, Any]],
    label: str = "step",
    traffic_every_s: float = 10.0,
) -> dict[str, Any]:
    prefix = work / f"{label}{users}"
    env = {
        **os.environ,
        "LOAD_MAX_REQUESTS": str(max_requests),
        "LOAD_TRAFFIC_EVERY_S": str(traffic_every_s),
        "LOAD_FIXTURES": json.dumps(fixtures),
    }
    load_before = os.getloadavg()
    cpu_before = _cpu_s(server)
    t = time.perf_counter()
    proc = subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            base,
            "-u",
            str(users + (1 if traffic_every_s else 0)),
            "-r",
            str(users + 1),
            "--run-time",
            f"{seconds}s",
            "--reset-stats",
            "--only-summary",
            "--stop-timeout",
            "5",
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
            *(["Shopper", "Dispatcher"] if traffic_every_s else ["Shopper"]),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    wall = time.perf_counter() - t
    total, per = _read_stats(prefix)
    cpu = _cpu_s(server) - cpu_before
    failures = (prefix.parent / f"{prefix.name}_failures.csv").read_text().splitlines()[1:6]
    doc = {
        "users": users,
        **total,
        "endpoints": per,
        "server_cpu_s": round(cpu, 1),
        "server_cpu_ms_per_request": round(1000 * cpu / max(total.get("requests", 0), 1), 2),
        "wall_s": round(wall, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "failure_samples": failures,
        "locust_exit": proc.returncode,
    }
    ok = doc.get("errors", 1) == 0 and doc.get("p95_ms", 1e9) < P95_TARGET_MS
    print(
        f"{label} {users:>4} users: {doc.get('rps', 0):7.1f} req/s  p50 {doc.get('p50_ms')} ms  "
        f"p95 {doc.get('p95_ms')} ms  p99 {doc.get('p99_ms')} ms  errors {doc.get('errors')}  "
        f"{'ok' if ok else 'BREAKS target'}",
        flush=True,
    )
    return doc


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_load", description=__doc__.split("\n")[0])
    ap.add_argument("--steps", default="2,4,8,16,32", help="users per step, comma-separated")
    ap.add_argument("--step-s", type=int, default=30, help="seconds per step (after ramp-up)")
    ap.add_argument("--max-requests", type=int, default=20000, help="request cap per step")
    ap.add_argument("--warmup-s", type=int, default=15, help="unreported warm-up seconds")
    ap.add_argument(
        "--traffic-every-s", type=float, default=10.0, help="one traffic report per S s; 0: none"
    )
    ap.add_argument("--pool-size", type=int, default=10, help="LINGXI_DB__POOL_SIZE")
    ap.add_argument("--name", default="bench_load")
    args = ap.parse_args(argv or [])
    # A plain kill (SIGTERM) still runs the clean-up below (the head / the server and database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    steps = [int(s) for s in args.steps.split(",")]

    name = f"lingxi_load_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "LINGXI_DB__URL": url,
        "LINGXI_DB__POOL_SIZE": str(args.pool_size),
        "LINGXI_RATE_LIMIT__ENABLED": "false",
        "LINGXI_ENVIRONMENT": "development",
    }
    env.pop("LINGXI_RAY__ADDRESS", None)  # one process: the embedded default
    work = Path(tempfile.mkdtemp(prefix="lingxi-load-"))
    server: subprocess.Popen[bytes] | None = None
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        lingxi = str(BIN / "lingxi")
        subprocess.run(
            [lingxi, "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True
        )
        subprocess.run([lingxi, "demo", "load"], env=env, cwd=work, check=True, capture_output=True)
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [lingxi, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_http(f"{base}/api/health", 120)
        fixtures = _prepare(base)
        # Warm-up (not reported): first use builds the guide, the home controller, the
        # assistant and loads the road network.
        warmup = _step(
            2, base, args.warmup_s, args.max_requests, work, server.pid, fixtures, "warmup"
        )
        for users in steps:
            results.append(
                _step(
                    users,
                    base,
                    args.step_s,
                    args.max_requests,
                    work,
                    server.pid,
                    fixtures,
                    traffic_every_s=args.traffic_every_s,
                )
            )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        _admin(f'DROP DATABASE IF EXISTS "{name}"')

    good = [r for r in results if r.get("errors", 1) == 0 and r.get("p95_ms", 1e9) < P95_TARGET_MS]
    breaks = next((r for r in results if r not in good), None)
    write_result(
        args.name,
        {
            "server": "lingxi serve (one uvicorn process) on PostgreSQL 127.0.0.1:5432",
            "db_pool_size": args.pool_size,
            "workload": "recommend 30 / home 20 / chat 25 / track 25 per shopper (think 0.2-0.6 s), "
            + (
                f"plus 1 operator reporting traffic every {args.traffic_every_s:g} s"
                if args.traffic_every_s
                else "no traffic reports"
            ),
            "rate_limits": "off for the run (see module docstring)",
            "step_s": args.step_s,
            "max_requests_per_step": args.max_requests,
            "cpu_count": os.cpu_count(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "warmup": {k: warmup.get(k) for k in ("users", "rps", "p95_ms", "errors")},
            "steps": results,
            "target": {"errors": 0, "p95_ms_below": P95_TARGET_MS},
            "best_within_target": (
                {k: good[-1][k] for k in ("users", "rps", "p50_ms", "p95_ms", "p99_ms")}
                if good
                else None
            ),
            "breaks_at": (
                {k: breaks.get(k) for k in ("users", "rps", "p50_ms", "p95_ms", "p99_ms", "errors")}
                if breaks
                else None
            ),
            "total_wall_s": round(time.perf_counter() - started, 1),
        },
    )


if __name__ == "__main__":
    main()
