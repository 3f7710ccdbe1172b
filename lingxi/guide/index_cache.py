"""The guide's built index kept on disk between runs, rebuilt only when the catalogue changes.

Building the index reads every product, folds every ingredient list, indexes BM25 and fits the
item-item model: seconds on the demo catalogue, paid by every CLI call and every start-up. The
built parts (catalogue columns, retriever, recommender, popularity) are pickled under the data
folder with the fingerprint of what they were built from (the stored catalogue, embeddings and
interactions, see :func:`lingxi.data.repos.guide.catalogue_fingerprint`) and of the code and data
files that build them; a file with any other fingerprint is ignored and replaced.

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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lingxi.data import Database

__all__ = ["BuiltIndex", "cached", "code_fingerprint", "load", "store"]

logger = logging.getLogger(__name__)

_FORMAT = 2
"""Bumped when the pickled layout changes."""


@dataclass(frozen=True, slots=True)
class BuiltIndex:
    """The parts of a :class:`~lingxi.guide.ShoppingGuide` that take time to build."""

    index: Any
    retriever: Any
    recommender: Any
    popularity: Any


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


def cached(db: Database, cache_dir: Path, build: Callable[[], BuiltIndex]) -> BuiltIndex:
    """The index stored for ``db``'s current catalogue in ``cache_dir``, or ``build()`` stored
    there for next time."""
    from lingxi.embeddings import EMBEDDING_MODEL

    def key() -> str:
        if db.sqlite_file is not None:  # the stdlib reads it: no SQLAlchemy on a cache hit
            from lingxi.data.repos import lean

            with db.lean() as conn:
                data = lean.catalogue_fingerprint(conn, model=EMBEDDING_MODEL)
        else:
            from lingxi.data.repos import guide as guide_repo

            with db.session() as s:
                data = guide_repo.catalogue_fingerprint(s, model=EMBEDDING_MODEL)
        return f"{data}:{code_fingerprint()}"

    # One file per data folder: another database's index (different fingerprint) replaces it
    # instead of piling up beside it.
    path = cache_dir / "guide-index.pkl"
    hit = load(path, key())
    if hit is not None:
        return hit
    built = build()
    store(path, key(), built)  # read again: the build may have stored embeddings
    return built


def load(path: Path, key: str) -> BuiltIndex | None:
    """The index stored at ``path`` under ``key``, or ``None`` (missing, stale or unreadable)."""
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
    if stored_key != key or not isinstance(built, BuiltIndex):
        return None
    return built


def store(path: Path, key: str, built: BuiltIndex) -> None:
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
