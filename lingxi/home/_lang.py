"""Language data of the parser (``lang/nlu_<lang>.yaml``) and the readers built on it:
the scheduling pre-pass, relative amounts and list items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lingxi.text import chinese_numeral_to_int, load_yaml

__all__ = [
    "Schedule",
    "extract_schedule",
    "list_item",
    "nlu_data",
    "read_lang_yaml",
    "relative_amount",
]


def read_lang_yaml(name: str) -> dict[str, Any]:
    """One parsed file of ``lingxi/home/lang/``."""
    text = resources.files("lingxi.home").joinpath(f"lang/{name}").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    return data


@cache
def nlu_data(zh: bool) -> dict[str, Any]:
    """The parsed ``lang/nlu_zh.yaml`` or ``lang/nlu_en.yaml``."""
    return read_lang_yaml("nlu_zh.yaml" if zh else "nlu_en.yaml")


@cache
def _compiled(zh: bool, key: str) -> re.Pattern[str]:
    section, _, name = key.partition(".")
    value = nlu_data(zh)[section]
    pattern = value[name] if name else value
    return re.compile(re.sub(r"\s*\n\s*", "", str(pattern)))


@dataclass(frozen=True)
class Schedule:
    """When a command is to be carried out: a clock time today/tonight, or after a delay."""

    at: str | None = None
    """``HH:MM`` (24 h)."""
    delay_s: int | None = None

    def as_slots(self) -> dict[str, Any]:
        """``{"at": "21:30"}`` or ``{"delay": 600}``, as the benchmarks write them."""
        return {"at": self.at} if self.at else {"delay": self.delay_s}

    def automation(self, service: str, entity_ids: tuple[str, ...]) -> dict[str, Any]:
        """The Home Assistant automation (or timer) this schedule becomes."""
        trigger = (
            {"platform": "time", "at": f"{self.at}:00"}
            if self.at
            else {"platform": "timer", "duration": self.delay_s}
        )
        return {
            "trigger": trigger,
            "action": {"service": service, "target": {"entity_id": list(entity_ids)}},
        }


_EN_SMALL = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty five": 45,
    "forty-five": 45,
}


def _int(word: str | None, zh: bool) -> int | None:
    if not word:
        return None
    if word.isdigit():
        return int(word)
    if zh:
        return chinese_numeral_to_int(word.replace("两", "二"))
    return _EN_SMALL.get(word)


def extract_schedule(text: str, zh: bool) -> tuple[Schedule | None, str]:
    """A time phrase in ``text`` ("at nine thirty pm", "十分钟后") and the text without it."""
    data = nlu_data(zh)["schedule"]
    low = text if zh else text.casefold()
    m = _compiled(zh, "schedule.clock").search(low)
    if m:
        groups = m.groupdict()
        hour = _int(groups.get("h") or groups.get("h2"), zh)
        half = groups.get("half") or groups.get("half2")
        minute_word = (groups.get("m") or groups.get("m2") or "").replace("'", "")
        part = groups.get("part") or ""
        if zh:
            minute = 30 if half else (_int(minute_word, zh) or 0)
        else:
            words = {k.replace("'", ""): v for k, v in data["minute_words"].items()}
            minute = int(minute_word) if minute_word.isdigit() else words.get(minute_word, 0)
        evening = any(part.startswith(p) for p in data["evening_parts"]) if part else False
        clock_like = zh or bool(minute_word or part)  # "at 10" alone is a level, not a time
        if clock_like and hour is not None and 0 <= hour <= 24 and 0 <= minute < 60:
            if evening and hour < 12:
                hour += 12
            if part.startswith(("a", "凌")) and hour == 12:
                hour = 0
            rest = (low[: m.start()] + " " + low[m.end() :]).strip(" ,，")
            return Schedule(at=f"{hour % 24:02d}:{minute:02d}"), rest
    m = _compiled(zh, "schedule.delay").search(low)
    if m:
        n_word = m.group("n")
        unit = data["units"].get(m.group("unit"), 60)
        if n_word.startswith(("half", "半")):
            seconds = unit // 2
        else:
            n = _int(n_word, zh)
            seconds = n * unit if n else 0
        if seconds:
            rest = (low[: m.start()] + " " + low[m.end() :]).strip(" ,，")
            return Schedule(delay_s=seconds), rest
    if not zh and _compiled(zh, "schedule.half_hour").search(low):
        return Schedule(delay_s=1800), _compiled(zh, "schedule.half_hour").sub(" ", low).strip()
    return None, text


def relative_amount(text: str, zh: bool, number: int | None) -> int | None:
    """``-20`` for "reduce volume by twenty percent": a signed step, or None if no amount."""
    if number is None or not _compiled(zh, "relative_amount").search(text):
        return None
    return -number if _compiled(zh, "down_words").search(text) else number


def list_item(text: str, zh: bool) -> str | None:
    """The item of "add oat milk to my shopping list", or None."""
    low = text if zh else text.casefold()
    for pattern in nlu_data(zh)["list_item"]:
        m = re.search(pattern, low)
        if m and m.group("item").strip():
            item = re.sub(nlu_data(zh)["list_item_strip"], "", m.group("item").strip(" ,，。"))
            return item or None
    return None
