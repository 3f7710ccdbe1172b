"""Chinese numerals, shared by the guide (budgets) and the home (temperatures)."""

from __future__ import annotations

from pathlib import Path

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


def test_every_language_file_reads_the_same_with_libyaml() -> None:
    """The C loader that `load_yaml` uses gives what PyYAML's pure-Python safe loader gives, for
    every shipped language file (guide, home, assistant)."""
    from importlib import resources

    import yaml

    from lingxi.text import load_yaml

    assert yaml.__with_libyaml__  # else load_yaml falls back to the slow loader
    files = [
        path
        for package in ("lingxi.guide", "lingxi.home", "lingxi.assistant")
        for path in Path(str(resources.files(package))).rglob("*.yaml")
    ]
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.safe_load(text), path
