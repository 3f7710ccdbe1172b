"""The action ladder is data: one engine reads ``lang/actions_<lang>.yaml``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lingxi.home._rules as rules
from lingxi.home import Parser
from lingxi.home.evaluation import demo_home


def test_the_engine_holds_no_language() -> None:
    source = Path(rules.__file__).read_text(encoding="utf-8")
    assert not re.search(r"[\u4e00-\u9fff]", source)
    for word in ("louder", "brighter", "vacuum_dock", "unlock"):
        assert word not in source


def test_a_misspelt_condition_names_its_row() -> None:
    with pytest.raises(ValueError, match=r"rows\[0\]\.if\.serch: unknown condition 'serch'"):
        rules._row({"if": {"serch": "x"}, "set": {"action": "on"}}, "rows[0]")
    with pytest.raises(ValueError, match=r"rows\[1\]\.set: unknown keys \['colour'\]"):
        rules._row({"set": {"colour": "red"}}, "rows[1]")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("make it louder", "HassSetVolumeRelative"),
        ("dim the kitchen light", "HassLightSet"),
        ("把客厅的灯调暗一点", "HassLightSet"),
        ("小声一点", "HassSetVolumeRelative"),
    ],
)
def test_ladder_rows_reach_commands(text: str, intent: str) -> None:
    result = Parser(demo_home(), context_area="living_room").parse(text, tiers=(1, 2))
    assert [c.intent for c in result.commands] == [intent], result
