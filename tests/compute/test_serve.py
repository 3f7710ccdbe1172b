"""The API under Ray Serve: two replicas of create_app sharing PostgreSQL answer as one process
does (lingxi.api.serve; the Ray head comes from tests/compute/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lingxi import compute
from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import PASSWORD, free_port, seed, sign_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Ray Serve 2.60 declares its config with pydantic-1 style Field extras.
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
]


@pytest.fixture
def served(
    ray_head: compute.LocalHead, pg_db: Database, pg_url: str, tmp_path: Path
) -> Iterator[tuple[str, Settings]]:
    """Lingxi under Ray Serve with 2 replicas on the test PostgreSQL; removed afterwards."""
    from lingxi.api import serve

    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": pg_url},  # type: ignore[arg-type]
        ray={"address": ray_head.address, "serve_replicas": 2},  # type: ignore[arg-type]
        rate_limit={"enabled": False},  # type: ignore[arg-type]
    )
    port = free_port()
    serve.run(settings, host="127.0.0.1", port=port, block=False)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    try:
        yield base, settings
    finally:
        serve.shutdown()


def test_replicas_share_postgres_and_answer_as_one_process(
    served: tuple[str, Settings], pg_db: Database
) -> None:
    """Two replicas run; a member signs in through Serve, sees their own data, and a write
    through one request is read back through the others (one shared database)."""
    from ray import serve as ray_serve

    base, settings = served
    seed(pg_db)
    status = ray_serve.status().applications["lingxi"].deployments["lingxi-api"]
    assert status.replica_states.get("RUNNING") == 2
    with httpx.Client(base_url=base, timeout=30) as remote:
        r = remote.post(
            "/api/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        remote.headers["Authorization"] = f"Bearer {r.json()['token']}"
        me = [remote.get("/api/auth/me").json() for _ in range(6)]
        consents = remote.post(
            "/api/account/consents", json={"purpose": "personalisation", "granted": True}
        )
        seen = [remote.get("/api/account/consents").json() for _ in range(6)]
        bad = remote.post("/api/guide/recommend", json={"text": "", "k": 0})
    with TestClient(create_app(settings, database=pg_db)) as local:
        headers = sign_in(local, "alice@example.org")
        assert all(m == local.get("/api/auth/me", headers=headers).json() for m in me)
        assert all(s == local.get("/api/account/consents", headers=headers).json() for s in seen)
        want_bad = local.post("/api/guide/recommend", json={"text": "", "k": 0}, headers=headers)
    assert consents.status_code < 300, consents.text
    assert bad.status_code == want_bad.status_code == 422
    assert bad.json()["error"]["code"] == want_bad.json()["error"]["code"]
