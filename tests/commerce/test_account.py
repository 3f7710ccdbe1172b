"""The account's rules, the same through the API and through lingxi.commerce (what chat calls)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lingxi import commerce
from lingxi.data import Database
from lingxi.data.repos import identity
from lingxi.errors import ConfirmationRequiredError
from tests.helpers import Seeded, sign_in


def _alice(db: Database, seeded: Seeded) -> identity.Member:
    with db.session() as s:
        return identity.get_member(s, customer_id=seeded.alice)


def test_consent_and_erasure_wait_for_a_yes(db: Database, seeded: Seeded) -> None:
    """Without confirmed=True nothing changes: a model's tool call can only propose these."""
    alice = _alice(db, seeded)
    commerce.set_consent(db, alice, "profile", True, confirmed=True)
    commerce.update_profile(db, alice, skin_types=["dry"], brands=["ACME"])
    with pytest.raises(ConfirmationRequiredError) as err:
        commerce.set_consent(db, alice, "profile", False, confirmed=False)
    assert err.value.details["field"] == "confirmed"
    with pytest.raises(ConfirmationRequiredError):
        commerce.forget(db, alice, fields=["skin_types"], confirmed=False)
    with pytest.raises(ConfirmationRequiredError):
        commerce.delete_all(db, alice, confirmed=False)
    profile = commerce.get_profile(db, alice)
    assert profile.skin_types == ["dry"] and profile.brands == ["ACME"]
    assert [c.purpose for c in commerce.list_consents(db, alice) if c.active] == ["profile"]
    # With the yes: revoking the profile consent erases skin type at once.
    commerce.set_consent(db, alice, "profile", False, confirmed=True)
    assert commerce.get_profile(db, alice).skin_types == []


def test_export_is_one_document_on_both_paths(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """GET /api/account/export equals commerce.export_data (what chat's export returns), orders in."""
    headers = sign_in(client, "alice@example.org")
    r = client.post(
        "/api/orders", json={"lines": [{"product_id": seeded.products[0]}]}, headers=headers
    )
    assert r.status_code == 201
    api_doc = client.get("/api/account/export", headers=headers).json()
    assert [o["id"] for o in api_doc["orders"]] == [r.json()["id"]]
    assert api_doc == commerce.export_data(db, _alice(db, seeded))
    # Bob's export holds none of Alice's orders.
    bob = sign_in(client, "bob@example.org")
    assert client.get("/api/account/export", headers=bob).json()["orders"] == []
