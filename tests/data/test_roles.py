"""The deployment's roles (staff, courier) live in the deployment's household, apart from
customers' households, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.models import Role
from lingxi.data.repos import identity
from lingxi.errors import InvalidInputError
from lingxi.policy import HOUSEHOLD_ROLES
from tests.helpers import Seeded


def test_staff_and_couriers_join_the_deployment_household(db: Database, seeded: Seeded) -> None:
    """create_customer accepts staff and courier (as enum or text) in the one deployment
    household, created once; household roles stay the policy's four."""
    assert {Role.STAFF.value, Role.COURIER.value}.isdisjoint(HOUSEHOLD_ROLES)
    assert {r.value for r in Role} - {Role.STAFF, Role.COURIER} == set(HOUSEHOLD_ROLES)
    with db.session() as s:
        home = identity.deployment_household(s)
        assert identity.deployment_household(s) == home
        staff = identity.create_customer(
            s, household_id=home, email="desk@example.org", display_name="Desk", role=Role.STAFF
        )
        courier = identity.create_customer(
            s, household_id=home, email="van@example.org", display_name="Van", role="courier"
        )
        assert identity.get_member(s, customer_id=staff).role == "staff"
        assert identity.get_member(s, customer_id=courier).household_id == home
        assert home not in (seeded.household_a, seeded.household_b)


@pytest.mark.parametrize(
    ("role", "in_deployment", "message"),
    [
        (Role.STAFF, False, "'staff' belongs in the deployment's household"),
        (Role.OWNER, True, "'owner' belongs in a customer's household"),
        ("janitor", False, "'role' field must be one of"),
    ],
)
def test_roles_outside_their_household_are_refused(
    db: Database, seeded: Seeded, role: Role | str, in_deployment: bool, message: str
) -> None:
    """A staff member in a customer's household (who would see every household's parcels
    beside their own), an owner of the deployment, or an unknown role: 422-class errors."""
    with db.session() as s:
        household = identity.deployment_household(s) if in_deployment else seeded.household_a
        with pytest.raises(InvalidInputError, match=message):
            identity.create_customer(
                s, household_id=household, email="x@example.org", display_name="X", role=role
            )
