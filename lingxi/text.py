"""Text helpers shared by the engines (a leaf: stdlib only)."""

from __future__ import annotations

import re
from typing import Any, Literal

__all__ = [
    "CHINESE_NUMERAL_CHARS",
    "MAX_MESSAGE_CHARS",
    "chinese_numeral_to_int",
    "detect_language",
    "load_yaml",
]

MAX_MESSAGE_CHARS = 2000
"""The longest message a person may send: the chat box (its counter), the assistant's API and
the assistant itself, and the guide's parser behind them, all use this one limit."""

_CJK = re.compile(r"[\u3400-\u9fff]")


def detect_language(text: str) -> Literal["en", "zh"]:
    """``zh`` when the text contains a Chinese character, else ``en``.

    The one language detector: a message with any Chinese in it is answered in Chinese.
    """
    return "zh" if _CJK.search(text) else "en"


_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)
"""Every character :func:`chinese_numeral_to_int` reads, for building regular expressions."""


def chinese_numeral_to_int(text: str) -> int | None:
    """Read a Chinese numeral: 二十六 -> 26, 十八 -> 18, 一百 -> 100, 两万五千 -> 25000.

    Returns ``None`` for an empty string or any character that is not part of a numeral.
    """
    if not text:
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
        else:
            return None
    return total + section + (digit or 0)


def load_yaml(text: str) -> Any:
    """Parse a YAML document safely, with libyaml's C parser when PyYAML has it.

    The language files are large: the pure-Python parser took most of a `lingxi guide parse`.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)
