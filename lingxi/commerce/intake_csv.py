"""Reading an operator's order CSV into :class:`~lingxi.commerce.intake.IncomingOrder` values.

One order per row. Columns (a header row names them, in any order; others are ignored):

``external_id``
    The order's id in the shop (required; an order is imported once per id).
``customer_email`` or ``household_id``
    Who orders: a customer's e-mail, or a household whose owner orders (exactly one).
``customer_name``
    Optional: the name of a customer created for an unknown e-mail.
``line1``, ``city``, ``postcode``, ``country``, ``lat``, ``lon``
    The delivery address and its point (postcode and country optional; country default MC).
``items``
    ``SKU:QTY`` pairs separated by ``;`` (``T-1:2; T-3`` is two of T-1 and one of T-3).
``window_start``, ``window_end``
    The delivery window, ISO 8601 times (``2026-12-03T09:00:00+01:00``; without an offset,
    UTC); both or neither.

Every problem names its row (the header is row 1), the field and the value.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from lingxi.commerce.intake import IncomingAddress, IncomingLine, IncomingOrder, Problem
from lingxi.errors import LingxiError

__all__ = ["COLUMNS", "REQUIRED", "read_orders_csv"]

COLUMNS = (
    "external_id",
    "customer_email",
    "household_id",
    "customer_name",
    "line1",
    "city",
    "postcode",
    "country",
    "lat",
    "lon",
    "items",
    "window_start",
    "window_end",
)
REQUIRED = ("external_id", "line1", "city", "lat", "lon", "items")
MAX_ROWS = 100_000


class _Row:
    """One row's cells and the problems found while reading them."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.problems: list[Problem] = []

    def text(self, name: str) -> str:
        return (self.cells.get(name) or "").strip()

    def problem(self, name: str, value: str, message: str) -> None:
        self.problems.append(Problem(self.number, name, value, message))

    def number_of(self, name: str, kind: type[float] | type[int]) -> float | int | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            what = "a number" if kind is float else "a whole number"
            self.problem(name, raw, f"The {name!r} field must be {what}. Got {raw!r}.")
            return None

    def time(self, name: str) -> datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            self.problem(name, raw, f"The {name!r} field must be an ISO 8601 time. Got {raw!r}.")
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def lines(self) -> tuple[IncomingLine, ...]:
        raw = self.text("items")
        found: list[IncomingLine] = []
        for part in filter(None, (p.strip() for p in raw.split(";"))):
            sku, _, qty = part.partition(":")
            try:
                quantity = int(qty.strip()) if qty.strip() else 1
                found.append(IncomingLine(sku.strip(), quantity))
            except LingxiError as err:
                self.problem("items", part, err.message)
            except ValueError:
                self.problem(
                    "items", part, f"An item must be SKU:QTY with a whole QTY. Got {part!r}."
                )
        if not found and not self.problems:
            self.problem("items", raw, f"The 'items' field must list SKU:QTY pairs. Got {raw!r}.")
        return tuple(found)


def _order(row: _Row) -> IncomingOrder | None:
    for name in REQUIRED:
        if not row.text(name):
            row.problem(name, "", f"The {name!r} field is required.")
    lat = row.number_of("lat", float)
    lon = row.number_of("lon", float)
    household = row.number_of("household_id", int)
    start, end = row.time("window_start"), row.time("window_end")
    lines = row.lines() if row.text("items") else ()
    if row.problems or lat is None or lon is None:
        return None
    try:
        address = IncomingAddress(
            line1=row.text("line1"),
            city=row.text("city"),
            lat=float(lat),
            lon=float(lon),
            postcode=row.text("postcode"),
            country=row.text("country") or "MC",
        )
        return IncomingOrder(
            external_id=row.text("external_id"),
            lines=lines,
            address=address,
            customer_email=row.text("customer_email").lower() or None,
            household_id=int(household) if household is not None else None,
            customer_name=row.text("customer_name"),
            window_start=start,
            window_end=end,
            row=row.number,
        )
    except LingxiError as err:
        row.problems.append(Problem.from_error(row.number, err))
        return None


def read_orders_csv(text: str) -> tuple[list[IncomingOrder], list[Problem]]:
    """The orders of a CSV document and the problems of the rows that could not be read."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [name for name in REQUIRED if name not in header]
    if "customer_email" not in header and "household_id" not in header:
        missing.append("customer_email")
    if missing:
        return [], [
            Problem(1, name, "", f"The header has no {name!r} column (it has {header}).")
            for name in missing
        ]
    orders: list[IncomingOrder] = []
    problems: list[Problem] = []
    for number, cells in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            problems.append(Problem(number, "row", "", f"At most {MAX_ROWS} rows per file."))
            break
        if not any((v or "").strip() for v in cells.values() if isinstance(v, str)):
            continue  # a blank line
        row = _Row(number, {k: v for k, v in cells.items() if isinstance(k, str)})
        order = _order(row)
        if order is not None:
            orders.append(order)
        problems.extend(row.problems)
    return orders, problems
