"""The guide's built index kept on disk between runs, each part rebuilt only when its data changes.

Building the index reads every product, folds every ingredient list, indexes BM25 and fits the
item-item model: seconds on the demo catalogue, paid by every CLI call and every start-up. The
built parts are pickled under the data folder in two files:

* ``guide-catalogue.pkl``: the catalogue columns and the retriever (BM25 arrays, embeddings),
  keyed by the fingerprint of the stored catalogue and its embeddings
  (:func:`lingxi.data.repos.guide.catalogue_fingerprint`) and of the code and data files that
  build them;
* ``guide-personal.pkl``: the item-item model and popularity, keyed by the catalogue part's key
  and the interactions' fingerprint. A new view or purchase refits this part alone, over the
  stored catalogue part.

A file with any other key is ignored and replaced. On SQLite the keys are read with the stdlib
(:mod:`lingxi.data.repos.lean`), so a cache hit imports no SQLAlchemy.

The cache lives in the deployment's own data folder, written only by Lingxi itself (pickle
executes what it loads, so the folder must not be writable by others, like the database file).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from lingxi.data import Database

__all__ = [
    "BuiltIndex",
    "CatalogueParts",
    "PersonalParts",
    "cached",
    "code_fingerprint",
    "fingerprints",
    "load",
    "store",
]

logger = logging.getLogger(__name__)

_FORMAT = 3
"""Bumped when the pickled layout changes."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CatalogueParts:
    """What is built from the catalogue alone."""

    index: Any
    retriever: Any


@dataclass(frozen=True, slots=True)
class PersonalParts:
    """What is fitted on the interactions, over a :class:`CatalogueParts`' index."""

    recommender: Any
    popularity: Any


@dataclass(frozen=True, slots=True)
class BuiltIndex:
    """The parts of a :class:`~lingxi.guide.ShoppingGuide` that take time to build."""

    index: Any
    retriever: Any
    recommender: Any
    popularity: Any

    @classmethod
    def of(cls, catalogue: CatalogueParts, personal: PersonalParts) -> BuiltIndex:
        """The two parts together."""
        return cls(catalogue.index, catalogue.retriever, personal.recommender, personal.popularity)


def code_fingerprint() -> str:
    """Sizes and times of the guide's modules and data files (a changed lexicon or parser
    makes the cache stale)."""
    digest = hashlib.sha256(str(_FORMAT).encode())
    root = resources.files("lingxi.guide")
    for entry in sorted(Path(str(root)).rglob("*"), key=str):
        if entry.is_file() and entry.suffix in {".py", ".yaml", ".json", ".txt", ".csv"}:
            stat = entry.stat()
            digest.update(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def fingerprints(db: Database) -> tuple[str, str]:
    """The stored catalogue's and the interactions' fingerprints, in one read."""
    from lingxi.embeddings import EMBEDDING_MODEL

    if db.sqlite_file is not None:  # the stdlib reads it: no SQLAlchemy on a cache hit
        from lingxi.data.repos import lean

        with db.lean() as conn:
            return (
                lean.catalogue_fingerprint(conn, model=EMBEDDING_MODEL),
                lean.interactions_fingerprint(conn),
            )
    from lingxi.data.repos import guide as guide_repo

    with db.session() as s:
        return (
            guide_repo.catalogue_fingerprint(s, model=EMBEDDING_MODEL),
            guide_repo.interactions_fingerprint(s),
        )


def cached(
    db: Database,
    cache_dir: Path,
    *,
    catalogue: Callable[[], CatalogueParts],
    personal: Callable[[Any], PersonalParts],
) -> BuiltIndex:
    """The index stored for ``db``'s current data in ``cache_dir``; a part whose data changed
    is built again (``catalogue()``, ``personal(index)``) and stored for next time."""
    # One file per part and data folder: another database's index (different key) replaces
    # it instead of piling up beside it.
    catalogue_path = cache_dir / "guide-catalogue.pkl"
    personal_path = cache_dir / "guide-personal.pkl"
    with suppress(OSError):
        (cache_dir / "guide-index.pkl").unlink(missing_ok=True)  # the one-file layout before
    code = code_fingerprint()
    catalogue_fp, interactions_fp = fingerprints(db)
    catalogue_key = f"{catalogue_fp}:{code}"
    parts = load(catalogue_path, catalogue_key, CatalogueParts)
    if parts is None:
        parts = catalogue()
        # read again: the build may have stored embeddings
        catalogue_fp, interactions_fp = fingerprints(db)
        catalogue_key = f"{catalogue_fp}:{code}"
        store(catalogue_path, catalogue_key, parts)
    personal_key = f"{catalogue_key}:{interactions_fp}"
    fitted = load(personal_path, personal_key, PersonalParts)
    if fitted is None:
        fitted = personal(parts.index)
        store(personal_path, personal_key, fitted)
    return BuiltIndex.of(parts, fitted)


def load(path: Path, key: str, kind: type[T]) -> T | None:
    """The ``kind`` stored at ``path`` under ``key``, or ``None`` (missing, stale or unreadable)."""
    try:
        with path.open("rb") as f:
            stored_key, built = pickle.load(f)
    except FileNotFoundError:
        return None
    except (
        OSError,
        EOFError,
        pickle.UnpicklingError,
        AttributeError,
        ImportError,
        TypeError,
        ValueError,
    ) as err:
        # a torn, foreign or older file is rebuilt, never fatal
        logger.warning("Ignoring the guide index cache %s: %s", path, err)
        return None
    if stored_key != key or not isinstance(built, kind):
        return None
    return built


def store(path: Path, key: str, built: object) -> None:
    """Write ``built`` under ``key`` atomically (a concurrent reader sees the old or the new
    file whole); a folder that cannot be written only costs the next run a rebuild."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((key, built), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as err:
        logger.warning("Could not store the guide index cache %s: %s", path, err)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
