"""Operating the catalogue: import a file, refresh the guide's index, versions, rollback, edits.

The CLI (`lingxi catalogue ...`) and the staff API call these functions::

    report = import_catalogue(db, Path("products.csv"), mapping=CatalogueMapping.from_file(m))
    report.to_dict()            # the validation report: rows, issues (row, field, value), counts
    list_versions(db)           # newest first
    rollback_version(db, 3)     # the catalogue as it was before version 3
    edit_product(db, "P123", {"price": "24.00", "stock": 7}, actor="ops@example.org")

An import streams the file, checks every row, and upserts the good ones by SKU in batches, all
in one transaction: it is stored whole or not at all. With invalid rows it stores nothing
unless ``skip_invalid``; ``dry_run`` reports what would change and stores nothing. Products
that are new, or whose embedded text changed, lose their cached embedding and are embedded
again afterwards (:func:`refresh_index`); nothing else is re-encoded.
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lingxi.data.repos import catalogue_versions as versions_repo
from lingxi.data.repos.catalog import ProductRecord, ProductView
from lingxi.data.repos.catalogue_versions import VersionView
from lingxi.errors import InvalidInputError
from lingxi.guide.catalogue import facts_from_record
from lingxi.guide.importer import (
    CatalogueMapping,
    RowIssue,
    check_record,
    detect_format,
    minor_exponent,
    parse_rows,
    read_records,
)
from lingxi.guide.retrieval import (
    EMBEDDING_MODEL,
    embed_passages,
    product_passage,
    shipped_embeddings,
)

if TYPE_CHECKING:
    from lingxi.data import Database

__all__ = [
    "EditResult",
    "ImportParams",
    "ImportReport",
    "ProgressFn",
    "RollbackReport",
    "edit_product",
    "get_product",
    "import_catalogue",
    "list_versions",
    "refresh_index",
    "rollback_version",
    "search_products",
]

ProgressFn = Callable[[str, int, int], None]
"""``(stage, done, total)``: stage ``rows`` counts bytes read, ``embedding`` products."""

_EDITABLE = frozenset(
    {"name", "brand", "category", "price", "currency", "ingredients", "skin_types", "rating"}
    | {"image", "stock"}
)


@dataclass(frozen=True, slots=True)
class ImportParams:
    """How an import runs."""

    dry_run: bool = False
    """Check and count, store nothing."""
    skip_invalid: bool = False
    """Store the good rows even when some are invalid (otherwise an invalid row stops all)."""
    embed: bool = True
    """Embed new and changed products at once (else on the guide's next start)."""
    batch_size: int = 500
    """Records per upsert batch."""
    max_issues: int = 200
    """Issues kept in the report (all are counted)."""
    actor: str = "cli"

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise InvalidInputError.for_field("batch_size", "an int in [1, 10000]", self.batch_size)
        if not 0 <= self.max_issues <= 100_000:
            raise InvalidInputError.for_field(
                "max_issues", "an int in [0, 100000]", self.max_issues
            )


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The validation report of an import and what it changed."""

    source: str
    rows: int
    """Records read."""
    valid: int
    invalid: int
    inserted: int
    """Products added (or that would be, on a dry run or a refused import)."""
    updated: int
    unchanged: int
    issues: tuple[RowIssue, ...]
    """The first ``max_issues`` problems, in file order."""
    issues_total: int
    dry_run: bool
    applied: bool
    """True when the changes were stored."""
    version: int | None
    """The catalogue version created (``None``: nothing stored, or nothing changed)."""
    reembedded: int
    message: str
    by_problem: dict[str, int] = field(default_factory=dict)
    """How many issues of each kind."""

    @property
    def refused(self) -> bool:
        """Invalid rows stopped the import (no ``skip_invalid``)."""
        return self.invalid > 0 and not self.applied and not self.dry_run

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``lingxi catalogue import --json``)."""
        return {
            "source": self.source,
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "version": self.version,
            "reembedded": self.reembedded,
            "issues_total": self.issues_total,
            "by_problem": dict(self.by_problem),
            "issues": [i.to_dict() for i in self.issues],
            "message": self.message,
        }


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner, self.count = inner, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


def _size(stream: IO[bytes]) -> int:
    try:
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, ValueError):
        return 0


def import_catalogue(
    db: Database,
    source: Path | IO[bytes],
    *,
    mapping: CatalogueMapping | None = None,
    params: ImportParams | None = None,
    name: str | None = None,
    on_progress: ProgressFn | None = None,
) -> ImportReport:
    """Read ``source`` through ``mapping`` and upsert its valid rows by SKU.

    Parameters
    ----------
    db
        The database.
    source
        A file path, or an open binary stream (an upload).
    mapping
        The column mapping; default: columns named like the fields.
    params
        Dry run, skip invalid rows, batch size...
    name
        The source's name in the report and the version (default: the file name).
    on_progress
        Called as bytes are read and products embedded.

    Raises
    ------
    InvalidInputError
        The file cannot be read at all (encoding, missing mapped column, broken JSON); a bad
        row is not an error but an issue of the report.
    """
    mapping = mapping or CatalogueMapping.default()
    params = params or ImportParams()
    if isinstance(source, Path):
        if not source.is_file():
            raise InvalidInputError.for_field("file", "a readable file", str(source))
        with source.open("rb") as fh:
            return _import(db, fh, mapping, params, name or source.name, on_progress)
    return _import(db, source, mapping, params, name or "upload", on_progress)


def _import(
    db: Database,
    stream: IO[bytes],
    mapping: CatalogueMapping,
    params: ImportParams,
    name: str,
    on_progress: ProgressFn | None,
) -> ImportReport:
    total = _size(stream)
    counter = _CountingReader(stream)
    buffered = io.BufferedReader(counter, buffer_size=65536)
    fmt = detect_format(name, buffered.peek(64)[:64], mapping)
    progress = on_progress or (lambda _stage, _done, _total: None)
    rows = valid = inserted = updated = unchanged = issues_total = 0
    issues: list[RowIssue] = []
    by_problem: dict[str, int] = {}
    batch: list[ProductRecord] = []
    with db.session() as s:
        version = versions_repo.start_version(s, kind="import", source=name, actor=params.actor)

        def flush() -> None:
            nonlocal inserted, updated, unchanged
            result = versions_repo.apply_records(s, version_id=version, records=batch)
            inserted, updated = inserted + result.inserted, updated + result.updated
            unchanged += result.unchanged
            batch.clear()
            progress("rows", counter.count, total)

        for parsed in parse_rows(read_records(buffered, mapping, fmt=fmt), mapping):
            rows += 1
            if parsed.record is None:
                issues_total += len(parsed.issues)
                for issue in parsed.issues:
                    by_problem[issue.problem] = by_problem.get(issue.problem, 0) + 1
                issues.extend(parsed.issues[: max(0, params.max_issues - len(issues))])
                continue
            valid += 1
            batch.append(parsed.record)
            if len(batch) >= params.batch_size:
                flush()
        if batch:
            flush()
        progress("rows", total or counter.count, total or counter.count)
        invalid = rows - valid
        refused = invalid > 0 and not params.skip_invalid
        changed = inserted + updated > 0
        if params.dry_run or refused:
            s.rollback()
            kept: int | None = None
        elif not changed:
            versions_repo.discard_version(s, version_id=version)
            kept = None
        else:
            versions_repo.finish_version(
                s,
                version_id=version,
                inserted=inserted,
                updated=updated,
                unchanged=unchanged,
                skipped=invalid,
            )
            kept = version
    applied = kept is not None
    reembedded = refresh_index(db, on_progress=on_progress) if applied and params.embed else 0
    counts = f"{inserted} inserted, {updated} updated, {unchanged} unchanged"
    if params.dry_run:
        message = f"Dry run: {counts}, {invalid} invalid of {rows} rows; nothing was stored."
    elif refused:
        message = (
            f"Refused: {invalid} of {rows} rows are invalid, so nothing was imported "
            f"(--skip-invalid imports the {valid} good rows)."
        )
    elif not applied:
        message = (
            f"Nothing changed: all {unchanged} valid rows match the catalogue; no new version."
        )
    else:
        skipped = f", {invalid} invalid rows skipped" if invalid else ""
        message = f"Catalogue version {kept}: {counts}{skipped}; {reembedded} products re-embedded."
    return ImportReport(
        source=name,
        rows=rows,
        valid=valid,
        invalid=invalid,
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        issues=tuple(issues),
        issues_total=issues_total,
        dry_run=params.dry_run,
        applied=applied,
        version=kept,
        reembedded=reembedded,
        message=message,
        by_problem=by_problem,
    )


_RECENT_MAX = 4096
_recent: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
"""Passages embedded lately by this process (about 6 MB at most): a rollback followed by the
same import, or an edit undone, needs no new encoding."""
_recent_lock = threading.Lock()


def refresh_index(db: Database, *, on_progress: ProgressFn | None = None, chunk: int = 64) -> int:
    """Embed every product that has no cached embedding (new or changed ones); how many.

    Each chunk is stored as it is done, so an interrupted refresh goes on where it stopped.
    The guide builds its index from these cached vectors (:meth:`ShoppingGuide.from_database`).
    """
    from lingxi.data.repos import guide as guide_repo

    with db.session() as s:
        total = versions_repo.count_without_embedding(s, model=EMBEDDING_MODEL)
    done, after = 0, 0
    progress = on_progress or (lambda _stage, _done, _total: None)
    if total:
        progress("embedding", 0, total)
    while True:
        with db.session() as s:
            ids = versions_repo.products_without_embedding(
                s, model=EMBEDDING_MODEL, after_id=after, limit=chunk
            )
            views = versions_repo.get_views(s, product_ids=ids)
        if not ids:
            return done
        after = ids[-1]
        passages = [product_passage(_facts(v)) for v in views]
        found = shipped_embeddings(passages)
        with _recent_lock:
            for i, text in enumerate(passages):
                if i not in found and text in _recent:
                    found[i] = _recent[text]
                    _recent.move_to_end(text)
        missing = [i for i in range(len(passages)) if i not in found]
        if missing:
            fresh = embed_passages([passages[i] for i in missing])
            found.update({i: fresh[j] for j, i in enumerate(missing)})
            with _recent_lock:
                for j, i in enumerate(missing):
                    _recent[passages[i]] = fresh[j]
                while len(_recent) > _RECENT_MAX:
                    _recent.popitem(last=False)
        with db.session() as s:
            # Products a rollback removed meanwhile are left out (and locked until stored).
            alive = versions_repo.lock_existing(s, product_ids=[v.id for v in views])
            vectors = {views[i].id: v for i, v in found.items() if views[i].id in alive}
            guide_repo.put_embeddings(s, model=EMBEDDING_MODEL, vectors=vectors)
        done += len(views)
        progress("embedding", done, max(total, done))


def _facts(v: ProductView) -> Any:
    return facts_from_record(
        id=v.id,
        name=v.name,
        brand=v.brand,
        category=v.category,
        price_minor=v.price_minor,
        rating=v.rating,
        skin_types=v.skin_types,
        ingredients=v.ingredients,
        ingredients_raw=v.ingredients_raw,
    )


def list_versions(db: Database, *, limit: int = 100) -> list[VersionView]:
    """The newest catalogue versions, newest first."""
    if not 1 <= limit <= 1000:
        raise InvalidInputError.for_field("limit", "an int in [1, 1000]", limit)
    with db.session() as s:
        return versions_repo.list_versions(s, limit=limit)


@dataclass(frozen=True, slots=True)
class RollbackReport:
    """What a rollback undid."""

    versions: tuple[int, ...]
    deleted: int
    restored: int
    reembedded: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "versions": list(self.versions),
            "deleted": self.deleted,
            "restored": self.restored,
            "reembedded": self.reembedded,
            "message": self.message,
        }


def rollback_version(
    db: Database, version: int, *, embed: bool = True, on_progress: ProgressFn | None = None
) -> RollbackReport:
    """Put the catalogue back as it was before ``version`` (undoing later versions too).

    Raises
    ------
    NotFoundError
        No such version.
    ConflictError
        It was rolled back already.
    """
    with db.session() as s:
        result = versions_repo.rollback(s, version_id=version)
    reembedded = refresh_index(db, on_progress=on_progress) if embed else 0
    later = [v for v in result.versions if v != version]
    also = f" (and the later {', '.join(map(str, later))})" if later else ""
    message = (
        f"Rolled back catalogue version {version}{also}: {result.deleted} products removed, "
        f"{result.restored} restored."
    )
    return RollbackReport(result.versions, result.deleted, result.restored, reembedded, message)


def search_products(
    db: Database, text: str = "", *, limit: int = 50, offset: int = 0
) -> tuple[list[ProductView], int]:
    """Products whose SKU, brand or name contains ``text``; and the number matching."""
    if not 1 <= limit <= 500:
        raise InvalidInputError.for_field("limit", "an int in [1, 500]", limit)
    if offset < 0:
        raise InvalidInputError.for_field("offset", "an int of 0 or more", offset)
    with db.session() as s:
        return versions_repo.search_products(s, text=text, limit=limit, offset=offset)


def get_product(db: Database, sku: str) -> ProductView:
    """One product by SKU."""
    with db.session() as s:
        return versions_repo.get_view(s, sku=sku)


@dataclass(frozen=True, slots=True)
class EditResult:
    """A product after an edit."""

    product: ProductView
    version: int | None
    """The version recording the edit; ``None`` when nothing changed."""


def edit_product(
    db: Database,
    sku: str,
    changes: Mapping[str, Any],
    *,
    actor: str,
    embed: bool = True,
) -> EditResult:
    """Change some fields of one product (as one catalogue version, so it can be rolled back).

    ``changes`` uses the import's field names: ``name``, ``brand``, ``category``, ``price``
    (major units), ``currency``, ``ingredients``, ``skin_types`` (list or text), ``rating``,
    ``image``, ``stock``; ``None`` clears an optional field.

    Raises
    ------
    InvalidInputError
        An unknown field, or a value the import would refuse (named).
    NotFoundError
        No product with that SKU.
    """
    for key in changes:
        if key not in _EDITABLE:
            raise InvalidInputError.for_field(key, f"one of {', '.join(sorted(_EDITABLE))}", key)
    with db.session() as s:
        current = versions_repo.get_record(s, sku=sku)
        doc = _as_document(current) | {k: ("" if v is None else v) for k, v in changes.items()}
        parsed = check_record(1, doc, CatalogueMapping.default())
        if parsed.record is None:
            first = parsed.issues[0]
            raise InvalidInputError(
                first.message.replace("row 1: ", ""),
                field=first.field,
                value=first.value,
                problem=first.problem,
            )
        version = versions_repo.start_version(s, kind="edit", source=sku, actor=actor)
        result = versions_repo.apply_records(s, version_id=version, records=[parsed.record])
        if result.updated:
            versions_repo.finish_version(
                s, version_id=version, inserted=0, updated=1, unchanged=0, skipped=0
            )
            kept: int | None = version
        else:
            versions_repo.discard_version(s, version_id=version)
            kept = None
    if kept is not None and embed:
        refresh_index(db)
    return EditResult(get_product(db, sku), kept)


def _as_document(r: ProductRecord) -> dict[str, Any]:
    price = Decimal(r.price_minor).scaleb(-minor_exponent(r.currency))
    return {
        "sku": r.sku,
        "name": r.name,
        "brand": r.brand,
        "category": r.category,
        "price": str(price),
        "currency": r.currency,
        "ingredients": r.ingredients_raw,
        "skin_types": sorted(r.skin_types),
        "rating": "" if r.rating is None else str(r.rating),
        "image": r.image or "",
        "stock": "" if r.stock is None else str(r.stock),
    }
