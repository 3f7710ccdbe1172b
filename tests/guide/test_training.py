"""fit_many and recommend_many: independent fits and blocked scoring (in-process here; on Ray
in tests/compute/test_ray.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.errors import InvalidInputError
from lingxi.guide.recommender import EASERecommender, PopularityRecommender, SLISTRecommender
from lingxi.guide.training import fit_many, recommend_many

SEQUENCES = [[0, 1, 2, 3, 7], [0, 1, 2, 7], [4, 5, 6, 7], [4, 5, 6], [1, 2, 3], [5, 6, 7]] * 5


def test_fit_many_fits_copies_in_order() -> None:
    """Each candidate is fitted as a copy (the caller's stays unfitted), in input order."""
    candidates = [EASERecommender(l2=1.0), SLISTRecommender(l2=1.0), PopularityRecommender()]
    fitted = fit_many(candidates, SEQUENCES, n_items=8)
    assert [type(m) for m in fitted] == [type(m) for m in candidates]
    assert candidates[0].B_ is None and fitted[0].B_ is not None
    alone = EASERecommender(l2=1.0).fit(SEQUENCES, n_items=8)
    assert alone.B_ is not None
    np.testing.assert_allclose(fitted[0].B_, alone.B_)


def test_recommend_many_equals_one_by_one() -> None:
    """Blocked scoring returns, per history, what recommend() returns."""
    model = SLISTRecommender(alpha=0.5, l2=1.0).fit(SEQUENCES, n_items=8)
    histories = [[0, 1], [4], [5, 6], [2], []] * 3
    got = recommend_many(model, histories, k=3, block=4)
    assert len(got) == len(histories)
    for h, (ids, scores) in zip(histories, got, strict=True):
        want_ids, want_scores = model.recommend(h, k=3)
        assert ids.tolist() == want_ids.tolist()
        np.testing.assert_allclose(scores, want_scores)


def test_recommend_many_refuses_a_bad_block() -> None:
    """The block size is checked and named."""
    model = PopularityRecommender().fit(SEQUENCES, n_items=8)
    with pytest.raises(InvalidInputError, match="block"):
        recommend_many(model, [[1]], block=0)
