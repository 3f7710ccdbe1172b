"""`lingxi guide ...`: parse a need, recommend products, compare two products."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lingxi.cli._common import console, database, emit_json, handle_errors, settings
from lingxi.errors import LingxiError

if TYPE_CHECKING:
    from lingxi.data import Database
    from lingxi.guide import ShoppingGuide

__all__ = ["app"]

app = typer.Typer(help="The shopping guide.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Parse shopping needs (English or Chinese), recommend and compare skincare products."""


AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@app.command("parse")
@handle_errors
def parse_cmd(
    text: Annotated[str, typer.Argument(help="The request, e.g. 'oily skin, cleanser under $30'.")],
    as_json: AsJson = False,
) -> None:
    """Show the need parsed from TEXT: category, skin types, budget, brands, ingredients."""
    from lingxi.guide import ParseParams, parse_need

    query = parse_need(
        text,
        params=ParseParams.from_settings(settings().guide),
        catalogue_brands=_catalogue_brands(),
    )
    doc = query.to_dict()
    if as_json:
        emit_json(doc)
        return
    table = Table(show_header=False)
    for key, value in doc.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    if query.medical_conditions:
        table.add_row("medical", ", ".join(query.medical_conditions))
    console.print(table)


def _catalogue_brands() -> list[str]:
    """The stored catalogue's brands (the recommend path reads the same), or none when no
    catalogue is reachable: parsing needs no database, it then knows the shipped brand list.
    A SQLite file is read with the stdlib alone (no SQLAlchemy to import: a cold start)."""
    db = database()
    if db.sqlite_file is not None:
        from lingxi.data.repos import lean

        if not db.sqlite_file.is_file():
            return []  # never create an empty database file just to parse a sentence
        try:
            with db.lean() as conn:
                return lean.list_brands(conn)
        except LingxiError:
            return []
    from sqlalchemy.exc import SQLAlchemyError

    from lingxi.data.repos import catalog

    try:
        with db.session() as s:
            return catalog.list_brands(s)
    except (SQLAlchemyError, LingxiError):
        return []


def _guide() -> tuple[Database, ShoppingGuide]:
    from lingxi.guide import ParseParams, ShoppingGuide

    config = settings().guide
    db = database()
    params = ParseParams.from_settings(config)
    return db, ShoppingGuide.from_database(
        db,
        vector_search=config.vector_search,
        parse_params=params,
        cache_dir=settings().data_dir / "cache",
    )


@app.command("recommend")
@handle_errors
def recommend_cmd(
    text: Annotated[str, typer.Argument(help="The request, in English or Chinese.")],
    customer: Annotated[
        int | None,
        typer.Option(
            "--customer",
            help="Customer id (uses only what they consented to).",
            min=1,
            max=2**31 - 1,
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many products (1-100).", min=1, max=100)] = 10,
    as_json: AsJson = False,
) -> None:
    """Recommend products that meet every constraint in TEXT, each with a reason."""
    db, guide = _guide()
    result = guide.recommend_for(db, text, customer_id=customer, k=k)
    if as_json:
        emit_json(result.to_dict())
        return
    if result.dermatologist_note:
        console.print(f"[yellow]{result.dermatologist_note}[/yellow]")
    console.print(result.message)
    for title, items in (
        ("", result.items),
        ("ingredients not listed (cannot be checked)", result.ingredients_not_listed),
    ):
        if not items:
            continue
        table = Table("id", "brand", "name", "price", "score", "reason", title=title or None)
        for item in items:
            table.add_row(
                str(item.id),
                item.brand,
                item.name,
                item.display_price,
                f"{item.score:.3f}",
                item.reason,
            )
        console.print(table)


@app.command("compare")
@handle_errors
def compare_cmd(
    a: Annotated[str, typer.Argument(help="First product: id or 'brand name'.")],
    b: Annotated[str, typer.Argument(help="Second product: id or 'brand name'.")],
    need: Annotated[str, typer.Option("--need", help="The stated need to judge against.")] = "",
    as_json: AsJson = False,
) -> None:
    """Compare two products side by side and say which fits the need better."""
    _db, guide = _guide()
    result = guide.compare(a, b, need=need or None)
    if as_json:
        emit_json(result.to_dict())
        return
    table = Table("", f"{result.a.brand} {result.a.name}", f"{result.b.brand} {result.b.name}")
    for aspect, va, vb in result.rows:
        table.add_row(aspect, va, vb)
    console.print(table)
    console.print(result.verdict)


profile_app = typer.Typer(help="See, export or delete a person's stored shopping profile.")
app.add_typer(profile_app, name="profile")

CustomerOpt = Annotated[int, typer.Option("--customer", help="Customer id.", max=2**31 - 1)]


@profile_app.command("show")
@handle_errors
def profile_show(customer: CustomerOpt, as_json: AsJson = False) -> None:
    """The stored profile (skin type and concerns exist only under the profile consent)."""
    from lingxi.data.repos import identity

    with database().session() as s:
        identity.get_member(s, customer_id=customer)
        doc = {
            "profile": identity.get_profile(s, customer_id=customer).to_dict(),
            "consents": identity.list_consents(s, customer_id=customer),
        }
    if as_json:
        emit_json(doc)
        return
    console.print(doc)


@profile_app.command("export")
@handle_errors
def profile_export(customer: CustomerOpt) -> None:
    """Everything stored about the person, as one JSON document."""
    from lingxi.data.repos import identity

    with database().session() as s:
        emit_json(identity.export_customer(s, customer_id=customer))


@profile_app.command("delete")
@handle_errors
def profile_delete(
    customer: CustomerOpt,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletion.")] = False,
    as_json: AsJson = False,
) -> None:
    """Delete the stored profile (skin type, concerns, preferences)."""
    from lingxi.data.repos import identity
    from lingxi.errors import ConfirmationRequiredError

    if not yes:
        raise ConfirmationRequiredError(
            f"Deleting the profile of customer {customer} cannot be undone; add --yes.",
            token="--yes",
            field="yes",
        )
    with database().session() as s:
        identity.get_member(s, customer_id=customer)
        identity.delete_profile(s, customer_id=customer)
    if as_json:
        emit_json({"deleted": True, "customer": customer})
    else:
        console.print(f"Deleted the profile of customer {customer}.")
