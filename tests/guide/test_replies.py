"""What the guide says is data per language (``data/lang/replies_<lang>.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path

from lingxi.guide import parse_need, replies
from lingxi.guide.schemas import ProductFacts

_CREAM = ProductFacts(
    id=1,
    name="Water Cream",
    brand="TATCHA",
    category="Moisturizer",
    price_minor=2999,
    rating=4.25,
    skin_types=("dry",),
    ingredients=("water", "glycerin"),
    canonical_ingredients=frozenset({"glycerin"}),
    label="Moisturizer",
)


def test_a_chinese_comparison_reads_chinese_facts() -> None:
    query = parse_need("干皮用的洁面，100块以内，不要香精")
    facts = replies.fit_facts(_CREAM, query)
    assert [ok for ok, _ in facts] == [False, True, False, True]
    for _, phrase in facts:
        assert re.search(r"[\u4e00-\u9fff]", phrase), phrase
        assert not re.search(r"\b(is|budget|skin)\b", phrase), phrase
    assert facts[0][1] == "不是洁面"
    assert facts[1][1] == "适合干皮"


def test_an_english_reason_names_only_catalogue_facts() -> None:
    query = parse_need("moisturizer for dry skin under $40 without fragrance")
    text = replies.reason(_CREAM, query, (), None)
    assert text == (
        "Moisturizer flagged for dry skin; $29.99, within your $40 budget; "
        "no fragrance in its INCI list; rated 4.2/5"
    )
    assert replies.message(1, 5, (), 0, query) == (
        "5 products meet every constraint; here is the best one."
    )


def test_reply_texts_are_not_in_the_code() -> None:
    source = Path(replies.__file__).read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert not re.search(r"[\u4e00-\u9fff]", code.replace("（", "").replace("）", ""))
    assert "within your" not in code and "dermatologist." not in code
