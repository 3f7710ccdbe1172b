"""API fixtures: an app on the test database, and signed-in clients for two households."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import PASSWORD, Seeded, seed


@pytest.fixture
def seeded(db: Database) -> Seeded:
    """Two households with members and products."""
    return seed(db)


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    """An anonymous client on the app over ``db``."""
    with TestClient(create_app(settings, database=db)) as c:
        yield c


def sign_in(client: TestClient, email: str) -> dict[str, str]:
    """Bearer headers for ``email``."""
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
