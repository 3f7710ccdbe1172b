"""Page weight and time to first render of the web app's main page, in Debian's Chromium.

Starts ``lingxi serve`` on a temporary SQLite database with the demo data and loads pages in
fresh browser contexts (cold cache), ``RUNS`` times each, on localhost and under a throttled
"slow 4G" profile (150 ms RTT, 1.6 Mbit/s down, as Lighthouse's mobile preset). Baseline in the
same run: the API docs page (/docs, Swagger UI served by the same app).

Run: ``.venv/bin/python -m benchmarks bench_web_page``.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import write_result

RUNS = 5
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _load(
    browser: Any, url: str, *, throttle: bool, sign_in: bool, ready: str | None
) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    if sign_in:
        page.request.post(
            url.split("/#")[0].rstrip("/") + "/api/auth/demo-login?email=mei@demo.lingxi"
        )
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(url, wait_until="load")
    if ready:
        page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_timeout(300)
    timing = page.evaluate(
        """() => {
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            const ready = performance.getEntriesByName('lingxi-ready')[0];
            const nav = performance.getEntriesByType('navigation')[0];
            return {fcp: fcp ? fcp.startTime : null, ready: ready ? ready.startTime : null,
                    load: nav.loadEventEnd, requests: performance.getEntriesByType('resource').length + 1};
        }"""
    )
    context.close()
    return {
        "bytes": float(sum(sizes.values())),
        "requests": float(len(sizes)),
        "fcp_ms": timing["fcp"],
        "ready_ms": timing["ready"],
        "load_ms": timing["load"],
    }


def _median(runs: list[dict[str, float]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] is not None]
        out[key] = round(statistics.median(values), 1) if values else None
    return out


def main() -> None:
    """Measure and write results/bench_web_page.json."""
    from playwright.sync_api import sync_playwright

    lingxi = str(Path(sys.executable).with_name("lingxi"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LINGXI_DB__URL": f"sqlite:///{tmp}/lingxi.db"}
        for args in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run([lingxi, *args], env=env, capture_output=True, check=True, timeout=300)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [lingxi, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(240):
                try:
                    if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            pages = {
                "main_signed_out": (f"{base}/", False, "html[data-ready]"),
                "main_signed_in_chat": (f"{base}/#/chat", True, ".view-chat h1"),
                "order_with_map": (f"{base}/#/orders/1", True, "[data-testid=delivery-map]"),
                "baseline_api_docs": (f"{base}/docs", False, None),
            }
            results: dict[str, Any] = {}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                for name, (url, sign_in, ready) in pages.items():
                    for profile, throttle in (("localhost", False), ("slow_4g", True)):
                        runs = [
                            _load(browser, url, throttle=throttle, sign_in=sign_in, ready=ready)
                            for _ in range(RUNS)
                        ]
                        results[f"{name}.{profile}"] = _median(runs)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    write_result(
        "bench_web_page",
        {
            "runs_per_cell": RUNS,
            "viewport": "375x812",
            "cache": "disabled (cold)",
            "slow_4g": SLOW_4G,
            "metrics": "median bytes on the wire (encoded), requests, first contentful paint, "
            "app ready (performance mark after the first view rendered), load event",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
