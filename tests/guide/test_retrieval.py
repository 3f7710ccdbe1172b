"""Retrieval: the BM25 arrays score as bm25s does."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.guide.retrieval import Bm25Scores, import_bm25s, tokenize

CORPUS = [
    "gentle foaming cleanser for oily skin with salicylic acid",
    "rich night cream for dry skin shea butter",
    "oil free gel moisturizer oily combination skin niacinamide",
    "mineral sunscreen spf 50 sensitive skin zinc oxide",
    "洗面奶 油皮 控油 温和",
    "cleanser cleanser cleanser foaming",
]


@pytest.mark.parametrize("method", ["lucene", "bm25+"])
@pytest.mark.parametrize(
    "query",
    [
        "foaming cleanser oily",
        "cleanser cleanser",  # a repeated token counts twice
        "油皮洗面奶",
        "dry night cream shea",
        "unknown words only",
        "niacinamide zinc oxide spf",
    ],
)
def test_arrays_score_exactly_as_bm25s(method: str, query: str) -> None:
    """Every document's score equals :meth:`bm25s.BM25.get_scores`, to the float."""
    bm25s = import_bm25s()
    model = bm25s.BM25(method=method)
    model.index([tokenize(t) for t in CORPUS], show_progress=False)
    arrays = Bm25Scores.from_bm25s(model)
    tokens = tokenize(query)
    known = [t for t in tokens if t in model.vocab_dict]
    # bm25s refuses a query without one known token; no known token scores 0 everywhere
    want = model.get_scores(known) if known else np.zeros(len(CORPUS), np.float32)
    got = arrays.get_scores(tokens)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.asarray(want, dtype=np.float32))
    if known:
        assert got.max() > 0
