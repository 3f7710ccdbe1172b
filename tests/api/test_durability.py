"""Killing the server with SIGKILL in the middle of writes loses no acknowledged order."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lingxi.data import Database, upgrade
from tests.helpers import PASSWORD, free_port, seed, serve_subprocess


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kill.db'}"
    else:
        # The pg_db fixture empties the session's database afterwards for the next test.
        pg_db: Database = request.getfixturevalue("pg_db")
        yield pg_db.engine.url.render_as_string(hide_password=False)


@pytest.mark.integration
@pytest.mark.slow
def test_sigkill_mid_write_loses_no_acknowledged_order(database_url: str, tmp_path: Path) -> None:
    """Every order the server acknowledged before SIGKILL is there after a restart."""
    db = Database.from_url(database_url)
    upgrade(db.engine)
    ids = seed(db)
    db.dispose()  # the test's own connections must not outlive the server's
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve_subprocess(database_url, port, tmp_path)
    token = httpx.post(
        f"{base}/api/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            while not stop.is_set():
                try:
                    r = client.post(
                        "/api/orders", json={"lines": [{"product_id": ids.products[0]}]}
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    while len(acknowledged) < 30:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()

    proc = serve_subprocess(database_url, port, tmp_path)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            stored = {o["id"] for o in client.get("/api/orders").json()["data"]}
            assert set(acknowledged) <= stored
            # The server still takes writes after the crash.
            r = client.post("/api/orders", json={"lines": [{"product_id": ids.products[0]}]})
            assert r.status_code == 201
    finally:
        proc.terminate()
        proc.wait(10)
