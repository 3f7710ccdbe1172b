"""The one risk table: who may do what, and what waits for a yes."""

from __future__ import annotations

import pytest

from lingxi.errors import ForbiddenError
from lingxi.policy import HOUSEHOLD_ROLES, RULES, Act, check


@pytest.mark.parametrize("act", [Act.UNLOCK, Act.OPEN_ENTRANCE, Act.HEAT_ABOVE_LIMIT, Act.PAY])
def test_owners_confirm_too(act: Act) -> None:
    """Every household role allowed a risky act still needs the yes; after it, nothing waits."""
    for role in ("owner", "adult"):
        assert check(act, role).needs_confirmation is True
        assert check(act, role, confirmed=True).needs_confirmation is False


@pytest.mark.parametrize(
    "act", [Act.UNLOCK, Act.OPEN_ENTRANCE, Act.HEAT_ABOVE_LIMIT, Act.PAY, Act.RETURN_ORDER]
)
def test_a_child_is_refused_whatever_the_confirmation(act: Act) -> None:
    """A child's account may not unlock, open the garage, heat, pay or return, even after a yes."""
    with pytest.raises(ForbiddenError, match="A child's account may not") as err:
        check(act, "child", confirmed=True)
    assert err.value.details == {"field": "role", "value": "child", "act": act.value}


def test_fleet_is_staff_only_and_every_act_has_a_rule() -> None:
    """Fleet actions belong to staff, not to any household role; no act lacks a row."""
    assert check(Act.FLEET, "staff").needs_confirmation is False
    for role in HOUSEHOLD_ROLES:
        with pytest.raises(ForbiddenError):
            check(Act.FLEET, role)
    assert set(RULES) == set(Act)
    # The person's own data: every member may change consents or erase, always after a yes.
    for act in (Act.CONSENT_CHANGE, Act.FORGET_PROFILE, Act.DELETE_DATA):
        assert check(act, "child").needs_confirmation is True
