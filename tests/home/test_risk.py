"""lingxi.home.risk: what a device payload does, as an act of the policy; single-use tokens."""

from __future__ import annotations

from typing import Any

import pytest

from lingxi.data.repos.home import EntityRecord
from lingxi.errors import ConflictError, NotFoundError
from lingxi.home.devices import DeviceState
from lingxi.home.risk import Confirmations, classify, household_heat_limit
from lingxi.policy import Act

LIMIT = 24.0


def _act(
    entity_id: str,
    state: str,
    payload: dict[str, Any],
    *,
    attributes: dict[str, Any] | None = None,
    device_class: str | None = None,
    capabilities: dict[str, Any] | None = None,
) -> Act | None:
    domain = entity_id.split(".")[0]
    entity = EntityRecord(entity_id, domain, entity_id, device_class=device_class,
                          capabilities=capabilities or {})  # fmt: skip
    current = DeviceState(entity_id, state, attributes or {})
    return classify(entity, current, payload, heat_limit_c=LIMIT)


@pytest.mark.parametrize(
    ("state", "payload", "expected"),
    [
        ("locked", {"state": "UNLOCK"}, Act.UNLOCK),
        ("locked", {"state": "OPEN"}, Act.UNLOCK),  # unlatching is unlocking
        ("unlocked", {"state": "UNLOCK"}, Act.UNLOCK),  # the reported state may be stale
        ("unlocked", {"state": "LOCK"}, None),
        ("locked", {"state": "LOCK"}, None),
    ],
)
def test_locks(state: str, payload: dict[str, Any], expected: Act | None) -> None:
    """Only unlocking is risky; locking never is."""
    assert _act("lock.front", state, payload) == expected


@pytest.mark.parametrize(
    ("device_class", "position", "payload", "expected"),
    [
        ("garage", 0, {"state": "OPEN"}, Act.OPEN_ENTRANCE),
        ("gate", 0, {"position": 10}, Act.OPEN_ENTRANCE),
        ("door", 40, {"position": 60}, Act.OPEN_ENTRANCE),
        ("garage", 60, {"position": 40}, None),  # closing further
        ("garage", 100, {"state": "CLOSE"}, None),
        ("blind", 0, {"state": "OPEN"}, None),  # blinds let no one in
        (None, 0, {"position": 100}, None),
    ],
)
def test_covers(
    device_class: str | None, position: int, payload: dict[str, Any], expected: Act | None
) -> None:
    """Opening a garage door, gate or door cover is risky; closing it and blinds are not."""
    state = "open" if position else "closed"
    act = _act("cover.x", state, payload, attributes={"position": position},
               device_class=device_class)  # fmt: skip
    assert act == expected


@pytest.mark.parametrize(
    ("state", "temperature", "payload", "expected"),
    [
        ("heat", 20, {"temperature": 25}, Act.HEAT_ABOVE_LIMIT),
        ("heat", 20, {"temperature": 24}, None),  # at the limit
        ("heat", 28, {"temperature": 26}, None),  # lowering is safe, even above the limit
        ("heat", 24, {"temperature_step": 1.0}, Act.HEAT_ABOVE_LIMIT),
        ("cool", 20, {"temperature": 28}, None),  # cooling to 28 heats nothing
        ("cool", 28, {"mode": "heat"}, Act.HEAT_ABOVE_LIMIT),
        ("off", 28, {"state": "ON"}, None),  # back to its last mode, cool
        ("auto", 20, {"temperature": 27}, Act.HEAT_ABOVE_LIMIT),
        ("heat", 28, {"state": "OFF"}, None),
    ],
)
def test_climates(
    state: str, temperature: float, payload: dict[str, Any], expected: Act | None
) -> None:
    """Heating above the limit is risky when the command raises it or starts heating."""
    attributes = {"temperature": temperature, "last_mode": "cool"}
    assert _act("climate.x", state, payload, attributes=attributes) == expected


def test_switching_a_climate_back_on_into_heat_above_the_limit() -> None:
    """Off with heat as its last mode and 28 set: turning it on heats above the limit."""
    attributes = {"temperature": 28, "last_mode": "heat"}
    assert _act("climate.x", "off", {"state": "ON"}, attributes=attributes) == Act.HEAT_ABOVE_LIMIT


@pytest.mark.parametrize(
    ("capabilities", "device_class", "payload", "expected"),
    [
        ({"heating": True}, None, {"state": "ON"}, Act.HEAT_ABOVE_LIMIT),
        ({}, "heater", {"state": "ON"}, Act.HEAT_ABOVE_LIMIT),
        ({"heating": True}, None, {"state": "OFF"}, None),
        ({}, "outlet", {"state": "ON"}, None),  # a plain switch
    ],
)
def test_heaters(
    capabilities: dict[str, Any], device_class: str | None, payload: dict[str, Any], expected: Act
) -> None:
    """Switching a heater on is risky; switching it off, or a plain switch, is not."""
    act = _act("switch.x", "off", payload, capabilities=capabilities, device_class=device_class)
    assert act == expected


def test_lights_and_media_are_never_risky() -> None:
    """Everything outside the table is an ordinary act."""
    assert _act("light.x", "off", {"state": "ON", "brightness": 255}) is None
    assert _act("media_player.x", "idle", {"volume_level": 1.0}) is None


def test_a_token_is_redeemed_once_by_its_member_before_it_expires() -> None:
    """Another member neither redeems nor burns it; the second redeem is a conflict; an
    expired or cancelled token is not found."""
    clock = {"t": 0.0}
    store = Confirmations(lambda: clock["t"], ttl_s=10)

    def hold() -> str:
        return store.hold(customer_id=1, household_id=1, acts=(Act.UNLOCK,),
                          entity_ids=("lock.x",), plan="plan", description="").token  # fmt: skip

    token = hold()
    with pytest.raises(NotFoundError):
        store.redeem(token, 2)
    assert store.redeem(token, 1).plan == "plan"
    with pytest.raises(ConflictError) as err:
        store.redeem(token, 1)
    assert err.value.code == "already_confirmed"
    late = hold()
    clock["t"] = 11
    with pytest.raises(NotFoundError):
        store.redeem(late, 1)
    cancelled = hold()
    assert store.cancel(cancelled, 1) and not store.cancel(cancelled, 1)
    with pytest.raises(NotFoundError):
        store.redeem(cancelled, 1)


def test_the_household_heating_limit_is_validated() -> None:
    """A number from 5 to 35 overrides the default; anything else keeps the default."""
    assert household_heat_limit({"heat_limit_c": 21}, default=24, household_id=1) == 21
    for bad in (True, "30", 99, None):
        assert household_heat_limit({"heat_limit_c": bad}, default=24, household_id=1) == 24
