"""Reading operators' catalogues: mappings, streaming readers, and the row-by-row report."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from lingxi.errors import InvalidInputError
from lingxi.guide.importer import (
    CatalogueMapping,
    ParsedRow,
    detect_format,
    minor_exponent,
    parse_rows,
    read_records,
)

HEADER = "sku,name,brand,category,price,currency,ingredients,skin_types,rating,image,stock\n"


def parsed(text: str, mapping: CatalogueMapping | None = None, fmt: str = "csv") -> list[ParsedRow]:
    m = mapping or CatalogueMapping.default()
    stream = io.BytesIO(text.encode("utf-8"))
    return list(parse_rows(read_records(stream, m, fmt=fmt), m))  # type: ignore[arg-type]


def issues(rows: list[ParsedRow]) -> list[tuple[int, str, str, str]]:
    return [(i.row, i.field, i.value, i.problem) for r in rows for i in r.issues]


def test_a_good_row_becomes_a_record() -> None:
    """Prices become minor units, skin-type words become flags, INCI text is kept."""
    rows = parsed(
        HEADER + 'A-1,Gel,ACME,Cleanser,$12.50,usd,"Water, Glycerin","Oily, Dry",4.5,a/b.png,7\n'
    )
    record = rows[0].record
    assert record is not None and not rows[0].issues
    assert (record.sku, record.price_minor, record.currency, record.stock) == (
        "A-1",
        1250,
        "USD",
        7,
    )
    assert record.skin_types == {"oily", "dry"}
    assert (record.image, record.rating, record.ingredients_raw) == (
        "a/b.png",
        4.5,
        "Water, Glycerin",
    )


def test_the_report_names_row_field_value_and_problem() -> None:
    """Missing field, wrong type, unknown currency, duplicate SKU, bad image, out of range."""
    text = HEADER + (
        "A-1,Gel,ACME,Cleanser,12,USD,,,,,\n"
        ",Gel,ACME,Cleanser,12,USD,,,,,\n"
        "A-3,Gel,ACME,Cleanser,twelve,USD,,,,,\n"
        "A-4,Gel,ACME,Cleanser,12,XYZ,,,,,\n"
        "A-1,Gel again,ACME,Cleanser,12,USD,,,,,\n"
        "A-6,Gel,ACME,Cleanser,12,USD,,,9,../../etc/passwd,-2\n"
    )
    rows = parsed(text)
    assert [r.record is not None for r in rows] == [True, False, False, False, False, False]
    assert issues(rows) == [
        (2, "sku", "", "missing"),
        (3, "price", "twelve", "wrong_type"),
        (4, "currency", "XYZ", "unknown_currency"),
        (5, "sku", "A-1", "duplicate_sku"),
        (6, "rating", "9", "out_of_range"),
        (6, "stock", "-2", "wrong_type"),
        (6, "image", "../../etc/passwd", "bad_image"),
    ]
    assert "first in row 1" in rows[4].issues[0].message


def test_nul_bytes_and_overlong_text_are_issues_not_crashes() -> None:
    """Text PostgreSQL cannot store, and text longer than its column, are named."""
    rows = parsed(HEADER + f"A-1,Ge\x00l,{'B' * 201},Cleanser,1,USD,,,,,\n")
    assert [(i.field, i.problem) for i in rows[0].issues] == [
        ("name", "bad_text"),
        ("brand", "too_long"),
    ]


def test_mapping_with_pattern_values_and_flags() -> None:
    """A pattern extracts the SKU and the first price; values rename categories; flag columns."""
    mapping = CatalogueMapping.from_text(
        """
fields:
  sku: {column: URL, pattern: '-(P\\d+)(?:\\?|$)'}
  name: Name
  brand: Brand
  category: {column: Label, values: {face-mask: Face Mask}}
  price: {column: Price, pattern: '\\$([0-9.]+)'}
  ingredients: INCI
skin_flags: {dry: Dry, oily: Oily}
sku_prefix: "S-"
currency: JPY
"""
    )
    text = (
        "URL,Name,Brand,Label,Price,INCI,Dry,Oily\n"
        'https://x/p/mask-P123?ic=1,Mask,B,face-mask,"$1500\n($2000 value)","[\'Water, Clay\']",1,0\n'
        "https://x/p/none,Mask,B,face-mask,$5,,yes,maybe\n"
    )
    rows = parsed(text, mapping)
    record = rows[0].record
    assert record is not None
    assert (record.sku, record.category, record.price_minor) == ("S-P123", "Face Mask", 1500)
    assert record.ingredients_raw == "Water, Clay"  # a Python list of INCI text, joined
    assert record.skin_types == {"dry"}
    assert issues(rows)[0][1:] == ("sku", "https://x/p/none", "pattern_mismatch")
    assert issues(rows)[1][1:] == ("skin_flags.oily", "maybe", "wrong_type")
    assert minor_exponent("JPY") == 0 and minor_exponent("KWD") == 3


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"fields": {"sku": "a"}}, "mapping.fields.name"),
        (
            {
                "fields": {
                    "sku": "a",
                    "name": "b",
                    "brand": "c",
                    "category": "d",
                    "price": "e",
                    "x": "y",
                }
            },
            "mapping.fields.x",
        ),
        ({"fieldz": {}}, "mapping.fieldz"),
        (
            {
                "fields": {f: f for f in ("sku", "name", "brand", "category", "price")},
                "currency": "ZZZ",
            },
            "mapping.currency",
        ),
        ({"fields": {"sku": {"column": "a", "pattern": "("}}}, "mapping.fields.sku.pattern"),
    ],
)
def test_bad_mappings_name_the_field(doc: dict[str, Any], field: str) -> None:
    """A wrong mapping is refused up front, naming the mapping key."""
    with pytest.raises(InvalidInputError) as err:
        CatalogueMapping.from_dict(doc)
    assert err.value.details["field"] == field


def test_a_mapped_column_missing_from_the_file_is_refused() -> None:
    """The whole file is refused, naming the column and the header it has."""
    mapping = CatalogueMapping.from_dict(
        {"fields": {f: f.upper() for f in ("sku", "name", "brand", "category", "price")}}
    )
    with pytest.raises(InvalidInputError, match="'SKU'"):
        parsed("sku,NAME,BRAND,CATEGORY,PRICE\n1,a,b,c,1\n", mapping)


def test_json_array_and_json_lines() -> None:
    """JSON arrays (split across reads) and JSON Lines give the same records; lists are joined."""
    items = [
        {
            "sku": f"J-{i}",
            "name": "N",
            "brand": "B",
            "category": "Cleanser",
            "price": 9.5,
            "ingredients": ["Water", "Glycerin"],
            "skin_types": ["oily"],
            "stock": 3,
        }
        for i in range(3)
    ]
    as_array = parsed(json.dumps(items, indent=2) + " " * 70_000, fmt="json")
    as_lines = parsed("\n".join(json.dumps(i) for i in items) + "\n\nnot json\n", fmt="jsonl")
    assert [r.record for r in as_array] == [r.record for r in as_lines[:3]]
    first = as_array[0].record
    assert first is not None and first.price_minor == 950 and first.skin_types == {"oily"}
    assert first.ingredients_raw == "Water, Glycerin"
    assert as_lines[3].issues[0].problem == "bad_record"
    with pytest.raises(InvalidInputError):
        parsed('[{"sku": "x"} {"sku": "y"}]', fmt="json")


def test_formats_are_detected() -> None:
    """By the mapping, then the file name, then the first character."""
    m = CatalogueMapping.default()
    assert detect_format("a.csv", b"[", m) == "csv"
    assert detect_format("upload", b"\xef\xbb\xbf [", m) == "json"
    assert detect_format("x.ndjson", b"", m) == "jsonl"
    assert detect_format("upload", b"sku,name", m) == "csv"


def test_wrong_encoding_is_one_clear_error() -> None:
    """Latin-1 bytes read as UTF-8 name the encoding and the row."""
    with pytest.raises(InvalidInputError) as err:
        list(
            parse_rows(
                read_records(
                    io.BytesIO((HEADER + "A,Cr\xe8me,B,C,1,USD,,,,,\n").encode("latin-1")),
                    CatalogueMapping.default(),
                    fmt="csv",
                ),
                CatalogueMapping.default(),
            )
        )
    assert err.value.details["field"] == "encoding"


def test_a_huge_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """10,000 rows (about 1.2 MB; kept as a list of records about 13 MB) are read and checked with
    under 3 MB of Python memory: the readers hold one record at a time (plus the SKUs seen)."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(10_000):
            out.write(
                f"G-{i},Product {i},Brand {i % 50},Cleanser,{i % 90}.99,USD,"
                f'"Water, Glycerin, Niacinamide, Extract {i}",oily,4.2,,{i % 7}\n'
            )
    mapping = CatalogueMapping.default()
    count = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for row in parse_rows(read_records(stream, mapping, fmt="csv"), mapping):
                count += row.record is not None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 3_000_000, peak
