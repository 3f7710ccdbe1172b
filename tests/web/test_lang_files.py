"""The interface's words are data: one JSON file per language under lingxi/web/static/lang/,
with the same keys, no empty text and the same placeholders in every language."""

from __future__ import annotations

import json
import re
from pathlib import Path

LANG = Path(__file__).resolve().parents[2] / "lingxi" / "web" / "static" / "lang"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _table(language: str) -> dict[str, str]:
    table: dict[str, str] = json.loads((LANG / f"{language}.json").read_text(encoding="utf-8"))
    return table


def test_every_language_has_the_same_keys_and_no_empty_text() -> None:
    """en.json and zh.json hold the same keys (hundreds of them), each a non-empty text."""
    en, zh = _table("en"), _table("zh")
    assert len(en) > 400
    assert sorted(en) == sorted(zh)
    empty = [k for table in (en, zh) for k, v in table.items() if not isinstance(v, str) or not v]
    assert empty == []


def test_a_text_keeps_its_placeholders_in_chinese() -> None:
    """Every translation fills the same ``{placeholders}`` as its English text."""
    en, zh = _table("en"), _table("zh")
    differ = [k for k in en if set(PLACEHOLDER.findall(zh[k])) != set(PLACEHOLDER.findall(en[k]))]
    assert differ == []
