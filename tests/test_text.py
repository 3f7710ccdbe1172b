"""Chinese numerals, shared by the guide (budgets) and the home (temperatures)."""

from __future__ import annotations

import pytest

from lingxi.text import chinese_numeral_to_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二十六", 26),
        ("十八", 18),
        ("一百", 100),
        ("两百五十", 250),
        ("三千", 3000),
        ("两万五千", 25000),
        ("零", 0),
        ("", None),
        ("二十六度", None),
    ],
)
def test_chinese_numeral_to_int(text: str, expected: int | None) -> None:
    """Digits and units combine as written; anything else is not a numeral."""
    assert chinese_numeral_to_int(text) == expected
