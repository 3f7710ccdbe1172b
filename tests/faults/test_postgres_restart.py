"""PostgreSQL restarted under load: requests fail with 503 JSON, then recover without
restarting Lingxi, and no acknowledged order is lost."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from lingxi.data import Database, upgrade
from tests.faults.conftest import PrivatePostgres
from tests.helpers import PASSWORD, free_port, seed, serve_subprocess

logger = logging.getLogger(__name__)


@pytest.mark.integration
@pytest.mark.slow
def test_postgres_restart_gives_503_then_recovers(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    """Under a read/write load the database goes away and comes back: meanwhile every failed
    request is a 503 ``unavailable`` JSON error with Retry-After (never a 500 or a hang), the
    same server process answers again afterwards, and every acknowledged order is stored."""
    admin = create_engine(private_pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lingxi_fault"))
        conn.execute(text("CREATE DATABASE lingxi_fault"))
    admin.dispose()
    url = private_pg.url.rsplit("/", 1)[0] + "/lingxi_fault"
    db = Database.from_url(url)
    upgrade(db.engine)
    ids = seed(db)
    db.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve_subprocess(url, port, tmp_path)
    try:
        token = httpx.post(
            f"{base}/api/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        statuses: Counter[int] = Counter()
        bad: list[str] = []
        acknowledged: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(write: bool) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=20) as client:
                while not stop.is_set():
                    if write:
                        r = client.post(
                            "/api/orders", json={"lines": [{"product_id": ids.products[0]}]}
                        )
                    else:
                        r = client.get("/api/orders")
                    with lock:
                        statuses[r.status_code] += 1
                        if r.status_code == 201:
                            acknowledged.append(r.json()["id"])
                        elif r.status_code == 503:
                            err = r.json()["error"]
                            if err["code"] != "unavailable" or "Retry-After" not in r.headers:
                                bad.append(r.text)
                        elif r.status_code != 200:
                            bad.append(f"{r.status_code} {r.text[:200]}")
                    if r.status_code == 503:
                        time.sleep(0.05)

        threads = [threading.Thread(target=load, args=(w,)) for w in (True, True, False)]
        for t in threads:
            t.start()
        while len(acknowledged) < 20:
            time.sleep(0.05)
        private_pg.stop()
        while statuses[503] < 10:  # the outage is seen by the clients
            time.sleep(0.05)
        down_at = time.monotonic()
        private_pg.start()
        with lock:
            before = len(acknowledged)
        while True:  # recovery: new orders are acknowledged again by the same process
            with lock:
                if len(acknowledged) >= before + 20:
                    break
            assert proc.poll() is None, "the server died"
            time.sleep(0.05)
        recovered_s = time.monotonic() - down_at
        stop.set()
        for t in threads:
            t.join()

        assert bad == []  # every failure was a clean 503 unavailable
        assert set(statuses) <= {200, 201, 503}, statuses
        assert proc.poll() is None  # never restarted
        stored = {o["id"] for o in httpx.get(f"{base}/api/orders", headers=headers).json()["data"]}
        assert set(acknowledged) <= stored  # nothing acknowledged was lost
        health = httpx.get(f"{base}/api/health").json()
        assert health["parts"]["database"]["status"] == "up"
        logger.info(
            f"postgres restart: {sum(statuses.values())} requests {dict(statuses)}, "
            f"{len(acknowledged)} orders acknowledged and stored, "
            f"orders acknowledged again {recovered_s:.1f} s after the restart began"
        )
    finally:
        proc.terminate()
        proc.wait(10)
