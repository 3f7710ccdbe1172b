"""Catalogue imports on SQLite and PostgreSQL: idempotent upserts, the all-or-nothing rule,
versions and rollback, edits, and re-embedding only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lingxi.data import Database
from lingxi.data.models import ProductEmbedding
from lingxi.data.repos import catalog
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError
from lingxi.guide.catalogue_admin import (
    ImportParams,
    edit_product,
    get_product,
    import_catalogue,
    list_versions,
    rollback_version,
    search_products,
)

HEADER = "sku,name,brand,category,price,ingredients,skin_types,stock\n"
ROWS = {
    "A": 'A,Gentle Gel,ACME,Cleanser,12.00,"Water, Glycerin",oily,5\n',
    "B": 'B,Rich Cream,ACME,Moisturizer,30.00,"Water, Shea Butter",dry,2\n',
    "C": 'C,Sun Milk,Solis,Sun protect,25.00,"Water, Zinc Oxide",,0\n',
}
NO_EMBED = ImportParams(embed=False)


def write(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_a_second_import_of_the_same_file_changes_nothing(db: Database, tmp_path: Path) -> None:
    """Upserts by SKU: the second run finds every row unchanged and makes no version."""
    path = write(tmp_path, "cat.csv", ROWS["A"], ROWS["B"])
    first = import_catalogue(db, path, params=NO_EMBED)
    assert (first.inserted, first.version, first.applied) == (2, 1, True)
    again = import_catalogue(db, path, params=NO_EMBED)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert again.version is None and not again.applied
    assert again.message.startswith("Nothing changed")
    assert [v.id for v in list_versions(db)] == [1]
    product = get_product(db, "A")
    assert (product.price_minor, product.stock, product.skin_types) == (1200, 5, ("oily",))
    assert product.ingredients == ("water", "glycerin")


def test_invalid_rows_import_nothing_unless_skip_invalid(db: Database, tmp_path: Path) -> None:
    """One bad row stops the whole import; a dry run stores nothing; --skip-invalid stores the
    good rows and the version counts the skipped ones."""
    path = write(tmp_path, "cat.csv", ROWS["A"], "X,Bad,ACME,Cleanser,cheap,,,\n", ROWS["C"])
    refused = import_catalogue(db, path, params=NO_EMBED)
    assert refused.refused and refused.invalid == 1 and refused.version is None
    assert refused.issues[0].to_dict() | {"message": ""} == {
        "row": 2,
        "field": "price",
        "value": "cheap",
        "problem": "wrong_type",
        "message": "",
    }
    dry = import_catalogue(db, path, params=ImportParams(dry_run=True, skip_invalid=True))
    assert (dry.inserted, dry.applied) == (2, False)
    with db.session() as s:
        assert catalog.count_products(s) == 0
    assert list_versions(db) == []
    done = import_catalogue(db, path, params=ImportParams(skip_invalid=True, embed=False))
    assert (done.inserted, done.invalid, done.applied) == (2, 1, True)
    assert list_versions(db)[0].skipped == 1


def test_rollback_restores_values_and_removes_added_products(db: Database, tmp_path: Path) -> None:
    """Version 2 changed A and added C, version 3 edited B; rolling back 2 undoes 3 and 2."""
    import_catalogue(db, write(tmp_path, "v1.csv", ROWS["A"], ROWS["B"]), params=NO_EMBED)
    changed_a = ROWS["A"].replace("12.00", "14.50")
    v2 = import_catalogue(
        db, write(tmp_path, "v2.csv", changed_a, ROWS["B"], ROWS["C"]), params=NO_EMBED
    )
    assert (v2.version, v2.inserted, v2.updated, v2.unchanged) == (2, 1, 1, 1)
    edit = edit_product(db, "B", {"stock": 9, "name": "Richer Cream"}, actor="ops", embed=False)
    assert edit.version == 3 and edit.product.stock == 9
    assert edit_product(db, "B", {"stock": 9}, actor="ops", embed=False).version is None
    report = rollback_version(db, 2, embed=False)
    assert report.versions == (3, 2) and (report.deleted, report.restored) == (1, 2)
    assert get_product(db, "A").price_minor == 1200
    b = get_product(db, "B")
    assert (b.stock, b.name) == (2, "Rich Cream")
    with pytest.raises(NotFoundError):
        get_product(db, "C")
    assert [v.status for v in list_versions(db)] == ["rolled_back", "rolled_back", "applied"]
    with pytest.raises(ConflictError):
        rollback_version(db, 2, embed=False)
    with pytest.raises(NotFoundError):
        rollback_version(db, 99, embed=False)
    rollback_version(db, 1, embed=False)
    assert search_products(db)[1] == 0


def test_edits_are_checked_like_imports(db: Database, tmp_path: Path) -> None:
    """An edit naming an unknown field or a bad value is refused naming the field."""
    import_catalogue(db, write(tmp_path, "v1.csv", ROWS["A"]), params=NO_EMBED)
    with pytest.raises(InvalidInputError) as err:
        edit_product(db, "A", {"currency": "ZZZ"}, actor="ops")
    assert err.value.details["field"] == "currency"
    with pytest.raises(InvalidInputError) as err:
        edit_product(db, "A", {"sku": "B"}, actor="ops")
    assert err.value.details["field"] == "sku"
    rows, total = search_products(db, "gentle")
    assert total == 1 and rows[0].sku == "A"


def test_batches_give_the_same_result(db: Database, tmp_path: Path) -> None:
    """A batch size smaller than the file gives the same catalogue as one batch."""
    rows = [f"S{i},Serum {i},Brand,Treatment,{i}.00,Water,normal,{i}\n" for i in range(1, 8)]
    report = import_catalogue(
        db, write(tmp_path, "s.csv", *rows), params=ImportParams(batch_size=2, embed=False)
    )
    assert report.inserted == 7
    found, total = search_products(db, "serum", limit=3)
    assert total == 7 and [p.sku for p in found] == ["S1", "S2", "S3"]


def test_only_new_and_changed_products_are_re_embedded(db: Database, tmp_path: Path) -> None:
    """A price change keeps the cached vector; a name change re-embeds that product only."""
    import_catalogue(db, write(tmp_path, "v1.csv", ROWS["A"], ROWS["B"]))

    def vectors() -> dict[int, bytes]:
        with db.session() as s:
            rows = s.execute(select(ProductEmbedding.product_id, ProductEmbedding.vector))
            return {pid: vec for pid, vec in rows}

    before = vectors()
    assert len(before) == 2
    cheaper = import_catalogue(
        db, write(tmp_path, "v2.csv", ROWS["A"].replace("12.00", "9.00"), ROWS["B"])
    )
    assert (cheaper.updated, cheaper.reembedded) == (1, 0)
    renamed = import_catalogue(
        db, write(tmp_path, "v3.csv", ROWS["A"], ROWS["B"].replace("Rich Cream", "Night Balm"))
    )
    assert (renamed.updated, renamed.reembedded) == (2, 1)
    after = vectors()
    a, b = get_product(db, "A").id, get_product(db, "B").id
    assert after[a] == before[a] and after[b] != before[b]
