"""Need parsing: slots, negation and scope, both languages, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingxi.errors import InvalidInputError
from lingxi.guide import parse_need


@pytest.mark.parametrize(
    ("text", "exclude", "include"),
    [
        ("no alcohol or fragrance", {"alcohol", "fragrance"}, set()),
        ("paraben and sulfate free cleanser", {"parabens", "sulfates"}, set()),
        ("serum with retinol but without parabens", {"parabens"}, {"retinol"}),
        ("with niacinamide, no fragrance", {"fragrance"}, {"niacinamide"}),
        ("no mineral oil, no parabens", {"mineral oil", "parabens"}, set()),
        ("alcohol-free toner with witch hazel", {"alcohol"}, {"witch hazel"}),
        ("不要含酒精和香精", {"alcohol", "fragrance"}, set()),
        ("含烟酰胺，不要酒精", {"alcohol"}, {"niacinamide"}),
        ("有没有含视黄醇的晚霜", set(), {"retinol"}),
        ("有没有不含精油的面霜", {"essential oils"}, set()),
        ("我对酒精过敏", {"alcohol"}, set()),
        ("unscented moisturizer", {"fragrance"}, set()),
        ("reef safe sunscreen", {"octinoxate", "oxybenzone"}, set()),
    ],
)
def test_ingredient_negation_and_scope(text: str, exclude: set[str], include: set[str]) -> None:
    """Negation covers coordinated ingredients and stops at a new cue or clause."""
    q = parse_need(text)
    assert set(q.exclude_ingredients) == exclude
    assert set(q.include_ingredients) == include


@pytest.mark.parametrize(
    ("text", "skin"),
    [
        ("my face is shiny by noon", ("oily",)),
        ("脸上起皮", ("dry",)),
        ("容易泛红", ("sensitive",)),
        ("I'm not oily at all, more on the dry side", ("dry",)),
        ("我不是油皮，是干皮", ("dry",)),
        ("oily t-zone but dry cheeks", ("combination",)),
        ("混油皮", ("combination",)),
        ("我对酒精过敏", ()),
    ],
)
def test_skin_types_from_concerns_and_negation(text: str, skin: tuple[str, ...]) -> None:
    """Concerns imply skin types; negated types are dropped; an ingredient allergy is not one."""
    assert parse_need(text).skin_types == skin


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("under $30", None, 30),
        ("20 to 40 dollars", 20, 40),
        ("$25-$50 please", 25, 50),
        ("100块以内", None, 13.89),
        ("不超过50刀", None, 50),
        ("三百以内的面霜", None, 41.67),
        ("sunscreen spf 50 at least", None, None),
        ("cleanser around $20", 16, 24),
        ("over $100 is fine", 100, None),
    ],
)
def test_budget(text: str, lo: float | None, hi: float | None) -> None:
    """Budgets in dollars or yuan (converted at 7.2); SPF numbers are not prices."""
    q = parse_need(text)
    assert (q.min_price, q.max_price) == (lo, hi)


@pytest.mark.parametrize(
    ("text", "brands"),
    [
        ("kiehls eye cream", ("KIEHL'S SINCE 1851",)),
        ("drunk elefant serum", ("DRUNK ELEPHANT",)),
        ("科颜氏的面霜", ("KIEHL'S SINCE 1851",)),
        ("兰蔻眼霜", ("LANCÔME",)),
        ("feels fresh on the skin", ()),
        ("fresh brand face mask", ("FRESH",)),
        ("moisturizer, not la mer, too expensive", ()),
    ],
)
def test_brands(text: str, brands: tuple[str, ...]) -> None:
    """Brands match fuzzily and in Chinese; common words need a cue; ruled-out brands drop."""
    assert parse_need(text).brands == brands


def test_parse_json_contract() -> None:
    """The parse document has exactly the DESIGN.md keys."""
    doc = parse_need("oily skin, a cleanser under $30 without alcohol").to_dict()
    assert doc == {
        "category": "Cleanser",
        "skin_types": ["oily"],
        "max_price": 30,
        "min_price": None,
        "brands": [],
        "exclude_ingredients": ["alcohol"],
        "include_ingredients": [],
    }


def test_medical_condition_is_flagged() -> None:
    """A skin condition is recorded so the guide can add a dermatologist note."""
    assert parse_need("I have eczema, what moisturizer").medical_conditions == ("eczema",)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "text"),
        ("   ", "text"),
        ("😀😀😀", "text"),
        ("x" * 100_000, "text"),
        ("cleanser under -5 dollars", "max_price"),
        ("cleanser under $99999999", "max_price"),
        ("between $80 and $20 over $90", "min_price"),
    ],
)
def test_bad_input_names_the_field(text: str, field: str) -> None:
    """Bad requests raise InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError, match=field):
        parse_need(text)


def test_mixed_scripts() -> None:
    """A request mixing Chinese and English parses both parts."""
    q = parse_need("油皮 cleanser, no fragrance, 200块以内")
    assert q.skin_types == ("oily",)
    assert q.category == "Cleanser"
    assert q.exclude_ingredients == ("fragrance",)
    assert q.max_price == 27.78


@pytest.mark.parametrize("spelling", ["Origins", "ORIGINS"])
def test_a_known_brand_takes_the_catalogues_own_spelling(spelling: str) -> None:
    # The catalogue filter compares brands exactly: an imported catalogue that spells the brand
    # "Origins" must get "Origins" back (before, the spelling depended on the hash seed).
    for text in ("origins eye cream", "Origins面膜，不含香精", "悦木之源面膜"):
        query = parse_need(text, catalogue_brands=(spelling, "COOLA", "fresh"))
        assert query.brands == (spelling,), text


def test_a_common_word_brand_needs_a_cue_even_from_the_catalogue() -> None:
    brands = ("fresh", "Origins")
    assert parse_need("a toner that feels fresh on the skin", catalogue_brands=brands).brands == ()
    assert parse_need("fresh face mask", catalogue_brands=brands).brands == ("fresh",)
    assert parse_need("fresh", catalogue_brands=brands).brands == ("fresh",)
    assert parse_need("a cleanser, not from fresh", catalogue_brands=brands).exclude_brands == (
        "fresh",
    )


def test_the_grammar_words_are_data() -> None:
    from lingxi.guide import _words, constraints

    g = _words.grammar()
    # Every language's alternatives are in the joined pattern.
    assert g.max_before.search("under ") and g.max_before.search("不超过")
    assert g.clause_split.search("好的但是") and g.clause_split.search("ok but")
    source = Path(constraints.__file__).read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    assert "不超过" not in code and "cheaper than" not in code
