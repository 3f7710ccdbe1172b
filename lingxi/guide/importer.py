"""Reading an operator's catalogue: a column mapping, streaming readers and row validation.

A file (CSV, a JSON array of objects, or JSON Lines) is read one record at a time through a
:class:`CatalogueMapping` that says which column holds each field; :func:`parse_rows` turns
each record into a :class:`~lingxi.data.repos.catalog.ProductRecord` or into the
:class:`RowIssue` list that names its row, field, value and problem. Nothing here holds more
than one record (plus the set of SKUs seen, to find duplicates). Storing the records is
:mod:`lingxi.guide.catalogue_admin`'s work.

A mapping file (YAML or JSON)::

    format: csv                 # csv | json | jsonl; default: from the file name
    encoding: utf-8-sig
    currency: USD               # when no column holds the currency
    fields:
      sku: product_id           # a column name ...
      price: {column: price, pattern: '\\$([0-9.]+)'}    # ... or a spec: pattern's group 1
      category: {column: Label, values: {cleanser: Cleanser}}
      skin_types: skin_type     # text naming skin types ("Oily, Dry")
    skin_flags: {dry: Dry, oily: Oily}   # or one 0/1 column per skin type
"""

from __future__ import annotations

import ast
import codecs
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from lingxi.data.repos.catalog import SKIN_TYPES, ProductRecord
from lingxi.errors import InvalidInputError
from lingxi.guide._json_stream import MAX_RECORD_CHARS, json_array_items, json_lines
from lingxi.text import load_yaml

__all__ = [
    "FIELDS",
    "REQUIRED_FIELDS",
    "CatalogueMapping",
    "FieldSpec",
    "ParsedRow",
    "RowIssue",
    "check_record",
    "detect_format",
    "is_currency",
    "minor_exponent",
    "parse_rows",
    "read_records",
]

Format = Literal["csv", "json", "jsonl"]

FIELDS = (
    "sku",
    "name",
    "brand",
    "category",
    "price",
    "currency",
    "ingredients",
    "skin_types",
    "rating",
    "image",
    "stock",
)
"""The fields a mapping may fill."""
REQUIRED_FIELDS = ("sku", "name", "brand", "category", "price")
_MAX_LEN = {"sku": 64, "name": 500, "brand": 200, "category": 100, "image": 1000}

_CURRENCY_FILE = "data/currencies.json"


@lru_cache(maxsize=1)
def _currencies() -> dict[str, int]:
    ref = resources.files("lingxi.guide").joinpath(_CURRENCY_FILE)
    table: dict[str, int] = json.loads(ref.read_text(encoding="utf-8"))["minor_unit_decimals"]
    return table


def is_currency(code: str) -> bool:
    """True for an ISO 4217 code (``USD``, ``EUR``, ``CNY``...)."""
    return code in _currencies()


_TRUE = frozenset({"1", "true", "yes", "y", "x", "✔", "✓"})
_FALSE = frozenset({"0", "false", "no", "n", "", "-"})
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_NUMBER = re.compile(r"^[^\d+\-.]{0,4}?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*$")


def minor_exponent(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return _currencies().get(currency, 2)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Where one field comes from."""

    column: str
    """The column (CSV header) or key (JSON; ``a.b`` reaches into nested objects)."""
    pattern: re.Pattern[str] | None = None
    """Applied to the text first; its first group (or the whole match) is the value."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Replacements of whole values, e.g. a category label -> the guide's category."""
    default: str | None = None
    """Used when the column is empty."""


@dataclass(frozen=True, slots=True)
class CatalogueMapping:
    """How an operator's file maps onto Lingxi's product fields."""

    fields: Mapping[str, FieldSpec]
    skin_flags: Mapping[str, str] = field(default_factory=dict)
    """Skin type -> a yes/no column (1/0, true/false, ✔)."""
    format: Format | None = None
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    currency: str = "USD"
    """The currency of rows without a currency column."""
    sku_prefix: str = ""
    """Put before every SKU (keeps two catalogues' ids apart)."""
    explicit: bool = True
    """False for :meth:`default`: optional columns may then be absent from the file."""

    def __post_init__(self) -> None:
        for name in REQUIRED_FIELDS:
            if name not in self.fields:
                raise InvalidInputError.for_field(
                    f"mapping.fields.{name}", "a column name (the field is required)", None
                )
        for name in self.skin_flags:
            if name not in SKIN_TYPES:
                raise InvalidInputError.for_field(
                    f"mapping.skin_flags.{name}", f"one of {', '.join(SKIN_TYPES)}", name
                )
        if not is_currency(self.currency):
            raise InvalidInputError.for_field(
                "mapping.currency", "an ISO 4217 code such as USD", self.currency
            )
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise InvalidInputError.for_field(
                "mapping.encoding", "a Python codec name such as utf-8", self.encoding
            ) from None
        if len(self.delimiter) != 1:
            raise InvalidInputError.for_field("mapping.delimiter", "one character", self.delimiter)

    @classmethod
    def default(cls) -> CatalogueMapping:
        """Columns named like the fields (``sku``, ``name``, ``brand``, ``price``, ...)."""
        return cls(fields={f: FieldSpec(f) for f in FIELDS}, explicit=False)

    @classmethod
    def from_file(cls, path: Path) -> CatalogueMapping:
        """A mapping from a YAML (or JSON) file."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as err:
            raise InvalidInputError.for_field(
                "mapping", "a readable file", str(path), reason=str(err)
            ) from None
        except UnicodeDecodeError:
            raise InvalidInputError.for_field("mapping", "a UTF-8 text file", str(path)) from None
        return cls.from_text(text)

    @classmethod
    def from_text(cls, text: str) -> CatalogueMapping:
        """A mapping from YAML (or JSON) text."""
        import yaml

        try:
            doc = load_yaml(text)
        except yaml.YAMLError as err:
            raise InvalidInputError.for_field(
                "mapping", "a YAML or JSON document", text[:60], reason=str(err)[:200]
            ) from None
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Any) -> CatalogueMapping:
        """A mapping from its document form (see the module docstring)."""
        if not isinstance(doc, dict):
            raise InvalidInputError.for_field("mapping", "a mapping document", doc)
        known = {
            "format",
            "encoding",
            "delimiter",
            "currency",
            "sku_prefix",
            "fields",
            "skin_flags",
        }
        for key in doc:
            if key not in known:
                raise InvalidInputError.for_field(
                    f"mapping.{key}", f"one of {', '.join(sorted(known))}", key
                )
        raw_fields = doc.get("fields") or {}
        if not isinstance(raw_fields, dict):
            raise InvalidInputError.for_field("mapping.fields", "a mapping", raw_fields)
        fields = {name: _spec(name, spec) for name, spec in raw_fields.items()}
        flags = doc.get("skin_flags") or {}
        if not isinstance(flags, dict) or not all(isinstance(v, str) for v in flags.values()):
            raise InvalidInputError.for_field(
                "mapping.skin_flags", "a mapping of skin type -> column", flags
            )
        fmt = doc.get("format")
        if fmt is not None and fmt not in ("csv", "json", "jsonl"):
            raise InvalidInputError.for_field("mapping.format", "csv, json or jsonl", fmt)
        return cls(
            fields=fields,
            skin_flags=flags,
            format=fmt,
            encoding=str(doc.get("encoding", "utf-8-sig")),
            delimiter=str(doc.get("delimiter", ",")),
            currency=str(doc.get("currency", "USD")).upper(),
            sku_prefix=str(doc.get("sku_prefix", "")),
        )

    def columns(self) -> list[str]:
        """Every column the mapping reads."""
        return [s.column for s in self.fields.values()] + list(self.skin_flags.values())


def _spec(name: str, spec: Any) -> FieldSpec:
    where = f"mapping.fields.{name}"
    if name not in FIELDS:
        raise InvalidInputError.for_field(where, f"one of {', '.join(FIELDS)}", name)
    if isinstance(spec, str) and spec:
        return FieldSpec(spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("column"), str):
        raise InvalidInputError.for_field(where, "a column name or {column: ...}", spec)
    extra = set(spec) - {"column", "pattern", "values", "default"}
    if extra:
        raise InvalidInputError.for_field(
            f"{where}.{sorted(extra)[0]}", "one of column, pattern, values, default", spec
        )
    pattern = None
    if spec.get("pattern") is not None:
        try:
            pattern = re.compile(str(spec["pattern"]))
        except re.error as err:
            raise InvalidInputError.for_field(
                f"{where}.pattern", "a regular expression", spec["pattern"], reason=str(err)
            ) from None
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise InvalidInputError.for_field(f"{where}.values", "a mapping of value -> value", values)
    default = spec.get("default")
    return FieldSpec(
        spec["column"],
        pattern,
        {str(k): str(v) for k, v in values.items()},
        None if default is None else str(default),
    )


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One problem of one row: which row, which field, what value, what is wrong."""

    row: int
    """1 is the first record (the line after a CSV header)."""
    field: str
    value: str
    problem: str
    """``missing``, ``wrong_type``, ``out_of_range``, ``unknown_currency``, ``duplicate_sku``,
    ``too_long``, ``bad_text``, ``pattern_mismatch``, ``bad_image`` or ``bad_record``."""
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON form."""
        return {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "problem": self.problem,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A record read and checked: a product to store, or the issues that stop it."""

    row: int
    record: ProductRecord | None
    issues: tuple[RowIssue, ...] = ()


def detect_format(name: str, head: bytes, mapping: CatalogueMapping) -> Format:
    """The file's format: the mapping's, else by file name, else by its first character."""
    if mapping.format is not None:
        return mapping.format
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if first == b"[" else "jsonl" if first == b"{" else "csv"


def read_records(
    stream: IO[bytes], mapping: CatalogueMapping, *, fmt: Format
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(row, record)`` one at a time (``None`` for a JSON line that is not an object).

    Raises
    ------
    InvalidInputError
        The file cannot be read at all: wrong encoding, a mapped column missing from the CSV
        header, broken JSON.
    """
    text = io.TextIOWrapper(stream, encoding=mapping.encoding, newline="")
    row = 0
    try:
        if fmt == "csv":
            yield from _csv_records(text, mapping)
            return
        source = json_array_items(text) if fmt == "json" else json_lines(text)
        for row, item in enumerate(source, start=1):
            yield row, item if isinstance(item, dict) else None
    except UnicodeDecodeError as err:
        raise InvalidInputError.for_field(
            "encoding",
            f"the file's text encoding (it is not {mapping.encoding} near row {row + 1}; "
            "set `encoding:` in the mapping)",
            mapping.encoding,
            reason=str(err)[:200],
        ) from None
    finally:
        text.detach()


def _csv_records(
    text: io.TextIOWrapper, mapping: CatalogueMapping
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
    reader = csv.DictReader(text, delimiter=mapping.delimiter)
    header = reader.fieldnames or []
    if not header:
        raise InvalidInputError.for_field("file", "a CSV file with a header row", "(empty)")
    if mapping.explicit:
        for column in mapping.columns():
            if column not in header:
                raise InvalidInputError.for_field(
                    "mapping",
                    f"columns of the file (header: {', '.join(header)[:300]})",
                    column,
                )
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as err:
        raise InvalidInputError.for_field(
            "file", "well-formed CSV", f"line {reader.line_num}", reason=str(err)
        ) from None


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value).strip()


class _Row:
    """One record being checked; collects its issues."""

    def __init__(self, row: int, record: Mapping[str, Any], mapping: CatalogueMapping) -> None:
        self.row, self.record, self.mapping = row, record, mapping
        self.issues: list[RowIssue] = []

    def issue(self, name: str, value: str, problem: str, rule: str) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        self.issues.append(
            RowIssue(
                self.row,
                name,
                shown,
                problem,
                f"row {self.row}: {name} must be {rule}; got {shown!r}",
            )
        )

    def raw(self, name: str) -> str | None:
        """The field's text after pattern, values and default; ``None`` if not mapped."""
        spec = self.mapping.fields.get(name)
        if spec is None:
            return None
        text = _text(_lookup(self.record, spec.column))
        if _BAD_TEXT.search(text):
            self.issue(name, _BAD_TEXT.sub("?", text), "bad_text", "text without NUL bytes")
            return ""
        if text and spec.pattern is not None:
            m = spec.pattern.search(text)
            if m is None:
                self.issue(name, text, "pattern_mismatch", f"text matching {spec.pattern.pattern}")
                return ""
            text = (m.group(1) if spec.pattern.groups else m.group(0)).strip()
        text = spec.values.get(text, text)
        return text or (spec.default or "")

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw(name) or ""
        if required and not value and not any(i.field == name for i in self.issues):
            self.issue(name, value, "missing", "present (a required field)")
        limit = _MAX_LEN.get(name)
        if limit is not None and len(value) > limit:
            self.issue(name, value, "too_long", f"at most {limit} characters")
        return value

    def number(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if not value:
            return None
        plain = value.replace(",", "") if "," in value and "." in value else value  # 1,299.00
        m = _NUMBER.match(plain)
        try:
            if m:
                return Decimal(m.group(1))
        except InvalidOperation:
            pass
        self.issue(name, value, "wrong_type", "a number")
        return None


def _skin_types(check: _Row) -> frozenset[str]:
    found: set[str] = set()
    spec = check.mapping.fields.get("skin_types")
    if spec is not None:
        text = _text(_lookup(check.record, spec.column)).lower()
        for token in re.findall(r"[^\W\d_]+", text):
            target = spec.values.get(token, token)
            if target == "all":
                found.update(SKIN_TYPES)
            elif target in SKIN_TYPES:
                found.add(target)
    for skin, column in check.mapping.skin_flags.items():
        flag = _text(_lookup(check.record, column)).lower()
        if flag in _TRUE:
            found.add(skin)
        elif flag not in _FALSE:
            check.issue(f"skin_flags.{skin}", flag, "wrong_type", "yes or no (1/0, true/false)")
    return frozenset(found)


def _ingredients(value: str) -> str:
    """INCI text; a Python or JSON list of strings (as some exports write it) is joined."""
    if value.startswith("[") and value.endswith("]"):
        try:
            items = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            return ", ".join(i.strip() for i in items if i.strip())
    return value


def _image(check: _Row) -> str | None:
    value = check.text("image")
    if not value:
        return None
    if re.match(r"^https?://\S+$", value):
        return value
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", value):
        check.issue(
            "image",
            value,
            "bad_image",
            "an http(s) URL or a path inside the images folder (relative, without '..')",
        )
        return None
    return str(path)


def check_record(row: int, record: Mapping[str, Any], mapping: CatalogueMapping) -> ParsedRow:
    """One record as a product, or the issues that stop it (no duplicate check)."""
    check = _Row(row, record, mapping)
    sku_text = check.text("sku", required=True)
    sku = mapping.sku_prefix + sku_text if sku_text else ""
    if len(sku) > _MAX_LEN["sku"] and len(sku_text) <= _MAX_LEN["sku"]:
        check.issue("sku", sku, "too_long", f"at most {_MAX_LEN['sku']} characters with the prefix")
    name = check.text("name", required=True)
    brand = check.text("brand", required=True)
    category = check.text("category", required=True)
    currency = (check.text("currency") or mapping.currency).upper()
    if not is_currency(currency):
        check.issue("currency", currency, "unknown_currency", "an ISO 4217 code such as USD")
    price = check.number("price", required=True)
    price_minor = 0
    if price is not None:
        exponent = minor_exponent(currency)
        price_minor = int((price * 10**exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if price < 0 or price_minor > 2**31 - 1:
            check.issue("price", str(price), "out_of_range", "0 or more (and under 21 million)")
    rating_value = check.number("rating")
    rating = float(rating_value) if rating_value else None  # 0 stars: no ratings yet
    if rating is not None and not 0 <= rating <= 5:
        check.issue("rating", str(rating_value), "out_of_range", "a rating from 0 to 5")
    stock_value = check.number("stock")
    stock = None
    if stock_value is not None:
        if stock_value != stock_value.to_integral_value() or not 0 <= stock_value < 2**31:
            check.issue("stock", str(stock_value), "wrong_type", "a whole number of 0 or more")
        else:
            stock = int(stock_value)
    ingredients = _ingredients(check.text("ingredients"))
    skin_types = _skin_types(check)
    image = _image(check)
    if check.issues:
        return ParsedRow(row, None, tuple(check.issues))
    return ParsedRow(
        row,
        ProductRecord(
            sku=sku,
            brand=brand,
            name=name,
            category=category,
            price_minor=price_minor,
            rating=rating,
            ingredients_raw=ingredients,
            skin_types=skin_types,
            currency=currency,
            image=image,
            stock=stock,
        ),
    )


def parse_rows(
    records: Iterator[tuple[int, dict[str, Any] | None]], mapping: CatalogueMapping
) -> Iterator[ParsedRow]:
    """Check each record; a SKU seen before is a ``duplicate_sku`` issue naming the first row."""
    first_row: dict[str, int] = {}
    for row, record in records:
        if record is None:
            issue = RowIssue(row, "row", "", "bad_record", f"row {row}: must be a JSON object")
            yield ParsedRow(row, None, (issue,))
            continue
        parsed = check_record(row, record, mapping)
        if parsed.record is not None:
            sku = parsed.record.sku
            seen = first_row.setdefault(sku, row)
            if seen != row:
                issue = RowIssue(
                    row,
                    "sku",
                    sku,
                    "duplicate_sku",
                    f"row {row}: sku must be unique in the file; got {sku!r} (first in row {seen})",
                )
                parsed = ParsedRow(row, None, (issue,))
        yield parsed
