"""Tier 1: hassil with Home Assistant's sentence data."""

from __future__ import annotations

import pytest

from lingxi.errors import InvalidInputError
from lingxi.home.evaluation import run_ha_suite
from lingxi.home.intents import (
    Vocabulary,
    detect_language,
    normalize_language,
    recognize,
)
from tests.conftest import SHARED_DATA

SUITE = SHARED_DATA / "home" / "ha_intents_tests_ohf2026"

VOCAB = Vocabulary(
    names=(("Kitchen Light", "Kitchen Light", "light"), ("厨房灯", "Kitchen Light", "light")),
    areas=(("Kitchen", "Kitchen"), ("厨房", "Kitchen")),
)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_home_assistant_suite_passes_completely(language: str) -> None:
    """Every sentence of Home Assistant's own suite gives the expected intent and slots."""
    report = run_ha_suite(SUITE, language)
    assert report.total > 800
    assert report.failures == [], report.failures[:5]
    assert report.accuracy == 1.0


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("turn on the kitchen light", "HassTurnOn", {"name": "Kitchen Light"}),
        ("打开厨房灯", "HassTurnOn", {"name": "Kitchen Light"}),
        ("把厨房的灯关了", "HassTurnOff", {"area": "Kitchen", "domain": "light"}),
        (
            "set the kitchen light to 50%",
            "HassLightSet",
            {"name": "Kitchen Light", "brightness": 50},
        ),
    ],
)
def test_recognize_uses_the_homes_names_and_aliases(
    text: str, intent: str, slots: dict[str, object]
) -> None:
    """Names and aliases from the home fill HA's {name} and {area} lists."""
    match = recognize(text, language=detect_language(text), vocabulary=VOCAB)
    assert match is not None
    assert match.intent == intent
    assert match.slots == slots


def test_context_area_is_reported_not_left_in_slots() -> None:
    """ "turn off the lights" means the lights here: a flag, not a fake area slot."""
    match = recognize("turn off the lights", language="en", vocabulary=VOCAB)
    assert match is not None
    assert match.context_area
    assert "area" not in match.slots


def test_no_match_is_none() -> None:
    """Gibberish is no match, a value rather than an error."""
    assert recognize("purple monkey dishwasher", language="en", vocabulary=VOCAB) is None


def test_unknown_language_is_refused() -> None:
    """The error names the field and the value."""
    with pytest.raises(InvalidInputError, match="language"):
        normalize_language("fr")
