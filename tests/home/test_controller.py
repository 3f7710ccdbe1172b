"""HomeController: actions, safety, history, follow-ups, fusion, correction and undo."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member
from lingxi.errors import ConfirmationRequiredError, ForbiddenError, InvalidInputError
from lingxi.home import HomeController


def _state(controller: HomeController, entity_id: str) -> tuple[str, dict[str, object]]:
    [row] = controller.state(controller_household(controller), entity_id)
    return row["state"], row["attributes"]


def controller_household(controller: HomeController) -> int:
    return next(iter(controller._homes))


def test_text_command_changes_devices_and_is_recorded(
    controller: HomeController, members: dict[str, Member], db: Database
) -> None:
    """A typed request turns the lights on and the history says who, how and when."""
    owner = members["owner"]
    result = controller.handle("turn on the kitchen light", owner, channel="voice")
    assert result.ok
    assert result.reply == "Turned on Kitchen Light."
    assert _state(controller, "light.kitchen")[0] == "on"
    [latest] = controller.history(owner.household_id, entity_id="light.kitchen", limit=1)
    assert latest["source"] == "voice"
    assert latest["actor_customer_id"] == owner.customer_id


def test_multi_command_in_chinese(controller: HomeController, members: dict[str, Member]) -> None:
    """关灯然后把空调调到26度: two actions; the owner needs no confirmation for the AC."""
    result = controller.handle("关灯然后把空调调到26度", members["owner"])
    assert [c["intent"] for c in result.commands] == ["HassTurnOff", "HassClimateSetTemperature"]
    assert _state(controller, "climate.living_room")[1]["temperature"] == 26


def test_unlock_needs_confirmation_for_an_adult(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """An adult gets a token; confirming it unlocks; nothing happens before."""
    adult = members["adult"]
    with pytest.raises(ConfirmationRequiredError) as err:
        controller.handle("unlock the front door", adult)
    assert _state(controller, "lock.front_door")[0] == "locked"
    result = controller.confirm(err.value.token, adult)
    assert result.ok
    assert _state(controller, "lock.front_door")[0] == "unlocked"


def test_locking_needs_no_confirmation(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """Locking is always safe: no token, for a child too (unlocking asks even the owner)."""
    with pytest.raises(ConfirmationRequiredError) as err:
        controller.handle("unlock the front door", members["owner"])
    controller.confirm(err.value.token, members["owner"])
    assert _state(controller, "lock.front_door")[0] == "unlocked"
    assert controller.handle("lock the front door", members["child"]).ok
    assert _state(controller, "lock.front_door")[0] == "locked"


def test_child_may_not_unlock(controller: HomeController, members: dict[str, Member]) -> None:
    """A child's role forbids locks and heating outright."""
    with pytest.raises(ForbiddenError):
        controller.handle("unlock the front door", members["child"])


def test_another_members_token_is_refused(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """A confirmation token belongs to the member who asked."""
    with pytest.raises(ConfirmationRequiredError) as err:
        controller.handle("unlock the front door", members["adult"])
    with pytest.raises(LookupError):
        controller.confirm(err.value.token, members["owner"])
    assert _state(controller, "lock.front_door")[0] == "locked"


def test_follow_up_reuses_the_last_target(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """'再亮一点' after the bedroom light changes the bedroom light only."""
    owner = members["owner"]
    controller.handle("turn on the bedroom light", owner)
    controller.handle("set the bedroom light to 40%", owner)
    before = _state(controller, "light.bedroom")[1]["brightness"]
    result = controller.handle("再亮一点", owner)
    assert [c["targets"] for c in result.commands] == [["light.bedroom"]]
    assert _state(controller, "light.bedroom")[1]["brightness"] > before  # type: ignore[operator]


def test_point_then_turn_that_on(controller: HomeController, members: dict[str, Member]) -> None:
    """Pointing at the desk lamp, then 'turn that on', acts on the desk lamp."""
    owner = members["owner"]
    controller.point("light.study", owner)
    result = controller.handle("turn that on", owner)
    assert [c["targets"] for c in result.commands] == [["light.study"]]
    assert _state(controller, "light.study")[0] == "on"


def test_pointing_expires_after_the_fusion_window(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """After the window, 'turn that on' no longer means the pointed device."""
    owner = members["owner"]
    controller.point("light.study", owner)
    controller.fake_clock["t"] += 60  # type: ignore[attr-defined]
    result = controller.handle("turn that on", owner)
    assert not result.ok or result.commands[0]["targets"] != ["light.study"]


def test_clockwise_after_naming_lights_brightens_them(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """'bedroom lights on' then a clockwise gesture raises their brightness."""
    owner = members["owner"]
    controller.handle("set the bedroom light to 40%", owner)
    before = _state(controller, "light.bedroom")[1]["brightness"]
    result = controller.gesture("clockwise", owner)
    assert result.ok
    assert _state(controller, "light.bedroom")[1]["brightness"] > before  # type: ignore[operator]
    [latest] = controller.history(owner.household_id, entity_id="light.bedroom", limit=1)
    assert latest["source"] == "gesture"


def test_household_binding_overrides_the_default(
    controller: HomeController, members: dict[str, Member], db: Database
) -> None:
    """A household can bind 'open' to turning the fan on."""
    owner = members["owner"]
    with db.session() as s:
        repo.set_gesture_binding(
            s, household_id=owner.household_id, gesture="open", intent="HassTurnOn", slots={}
        )
    result = controller.gesture("open", owner, target="fan.bedroom")
    assert result.ok
    assert _state(controller, "fan.bedroom")[0] == "on"


def test_gesture_without_binding_or_target(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """An unbound gesture and a gesture with nothing to act on are clear replies."""
    owner = members["owner"]
    assert controller.gesture("jazz_hands", owner).reason == "no_binding"
    assert controller.gesture("clockwise", owner).reason == "no_target"


def test_no_the_other_one_corrects_the_last_action(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """'turn on the ceiling light' then 'no, the other one' turns it off and the lamp on."""
    owner = members["owner"]
    controller.handle("turn off the floor lamp", owner)
    controller.handle("turn on the ceiling light", owner)
    assert _state(controller, "light.living_room")[0] == "on"
    result = controller.handle("no, the other one", owner)
    assert result.ok
    assert _state(controller, "light.living_room")[0] == "off"
    assert _state(controller, "light.floor_lamp")[0] == "on"


def test_undo_restores_the_previous_state(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """Undo puts back the blinds' position and records the change as an undo."""
    owner = members["owner"]
    controller.handle("set the blinds to 30 percent", owner)
    assert _state(controller, "cover.bedroom_blinds")[1]["position"] == 30
    result = controller.handle("undo", owner)
    assert result.ok
    assert _state(controller, "cover.bedroom_blinds")[1]["position"] == 100
    [latest] = controller.history(owner.household_id, entity_id="cover.bedroom_blinds", limit=1)
    assert latest["source"] == "undo"


def test_ambiguous_request_asks(controller: HomeController, members: dict[str, Member]) -> None:
    """'turn on the light' in the living room asks which one and changes nothing."""
    result = controller.handle("turn on the light", members["owner"], context_area="living_room")
    assert not result.ok
    assert result.reason == "ambiguous_target"
    assert "Which one" in (result.question or "")


def test_colour_on_a_plain_dimmer_is_refused(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """The porch light has no colour: a clear error naming the field."""
    with pytest.raises(InvalidInputError, match="color"):
        controller.touch(
            "light.porch", members["owner"], intent="HassLightSet", slots={"color": "red"}
        )


def test_out_of_range_temperature_is_refused(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """50 degrees is outside the AC's 16-30 range."""
    with pytest.raises(InvalidInputError, match="temperature"):
        controller.handle("set the ac to 50 degrees", members["owner"])


def test_turn_on_for_automations(controller: HomeController, members: dict[str, Member]) -> None:
    """The porch-light automation turns one entity on and is recorded as automation."""
    hid = members["owner"].household_id
    controller.turn_on(hid, "light.porch")
    [latest] = controller.history(hid, entity_id="light.porch", limit=1)
    assert (latest["state"], latest["source"]) == ("on", "automation")


def test_unknown_channel_is_refused(controller: HomeController, members: dict[str, Member]) -> None:
    """The channel is part of the record, so only known ones are accepted."""
    with pytest.raises(InvalidInputError, match="channel"):
        controller.handle("lights on", members["owner"], channel="telepathy")


def test_households_with_the_same_entity_ids_stay_apart(
    controller: HomeController, members: dict[str, Member], db: Database
) -> None:
    """Every home has light.kitchen: one household's command never touches another's."""
    from tests.home.conftest import load_home

    other = load_home(db, tag="-b")["owner"]
    owner = members["owner"]
    controller.handle("turn on the kitchen light", owner)
    assert _state(controller, "light.kitchen")[0] == "on"
    [row] = controller.state(other.household_id, "light.kitchen")
    assert row["state"] == "off"
    assert (
        controller.history(other.household_id, entity_id="light.kitchen", limit=1)[0]["source"]
        == "device"
    )


def test_answer_to_the_clarifying_question(
    controller: HomeController, members: dict[str, Member]
) -> None:
    """'turn on the light' asks which; 'the floor lamp' answers and acts on it alone."""
    owner = members["owner"]
    controller.handle("turn off the floor lamp", owner)
    asked = controller.handle("turn on the light", owner, context_area="living_room")
    assert asked.reason == "ambiguous_target"
    result = controller.handle("the floor lamp", owner, context_area="living_room")
    assert result.ok
    assert [c["targets"] for c in result.commands] == [["light.floor_lamp"]]
    assert _state(controller, "light.living_room")[0] == "off"


def test_and_in_the_bedroom_too(controller: HomeController, members: dict[str, Member]) -> None:
    """A follow-up naming only another room repeats the last action there."""
    owner = members["owner"]
    controller.handle("turn on the lights in the kitchen", owner)
    result = controller.handle("and in the bedroom too", owner)
    assert result.ok, result.reply
    assert _state(controller, "light.bedroom")[0] == "on"
