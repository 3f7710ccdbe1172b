"""Fixtures: the Chen family's demo home in a migrated database, and a controller over it."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from lingxi.data import Database
from lingxi.data.models import Role
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member, create_customer, create_household
from lingxi.home import HomeController
from lingxi.home.drivers.memory import MemoryDriver


def demo_home_spec() -> dict[str, Any]:
    """The Chen family's areas, entities and initial states from the shipped demo file."""
    text = resources.files("lingxi.data").joinpath("demo/home.yaml").read_text(encoding="utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)["Chen family"]
    return spec


def load_home(db: Database, *, tag: str = "") -> dict[str, Member]:
    """Create a household with the demo home and an owner, an adult and a child."""
    spec = demo_home_spec()
    with db.session() as s:
        hid = create_household(s, name="Chen family")
        for a in spec["areas"]:
            repo.create_area(s, household_id=hid, **a)
        for e in spec["entities"]:
            repo.create_entity(
                s,
                household_id=hid,
                entity_id=e["entity_id"],
                name=e["name"],
                names=e.get("names", {}),
                area_id=e["area"],
                aliases=e.get("aliases", []),
                device_class=e.get("device_class"),
                capabilities=e.get("capabilities", {}),
            )
        for entity_id, st in spec["initial_states"].items():
            repo.record_state(
                s,
                household_id=hid,
                entity_id=entity_id,
                state=str(st["state"]),
                attributes=st.get("attributes", {}),
            )
        members = {}
        for role in (Role.OWNER, Role.ADULT, Role.CHILD):
            cid = create_customer(
                s,
                household_id=hid,
                email=f"{role.value}{tag}@test.lingxi",
                display_name=role.value,
                role=role,
            )
            members[role.value] = Member(cid, hid, role.value, role.value, f"{role.value}@t")
    return members


@pytest.fixture
def members(db: Database) -> dict[str, Member]:
    """Owner, adult and child of a household with the demo home."""
    return load_home(db)


@pytest.fixture
def controller(db: Database, members: dict[str, Member]) -> HomeController:
    """A controller over the in-memory driver, with a fake clock in ``controller.now``."""
    clock = {"t": 1000.0}
    c = HomeController(db, driver=MemoryDriver(), clock=lambda: clock["t"])
    c.fake_clock = clock  # type: ignore[attr-defined]
    return c
