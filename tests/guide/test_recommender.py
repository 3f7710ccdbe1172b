"""Conformance tests run against every recommender (as implicit's mixin does)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lingxi.errors import InvalidInputError
from lingxi.guide.recommender import (
    EASERecommender,
    NotFittedError,
    PopularityRecommender,
    Recommender,
    SLISTRecommender,
    load_recommender,
)

# Two "routines": 0 -> 1 -> 2 -> 3 and 4 -> 5 -> 6, with item 7 popular everywhere.
SEQUENCES = [[0, 1, 2, 3, 7], [0, 1, 2, 7], [4, 5, 6, 7], [4, 5, 6], [1, 2, 3], [5, 6, 7]] * 5
N_ITEMS = 8


def _models() -> list[Recommender]:
    return [
        PopularityRecommender(),
        EASERecommender(l2=1.0),
        SLISTRecommender(alpha=0.5, l2=1.0),
    ]


@pytest.fixture(params=_models(), ids=lambda m: type(m).__name__)
def model(request: pytest.FixtureRequest) -> Recommender:
    """A fitted model of each kind."""
    m: Recommender = request.param
    return m.fit(SEQUENCES, n_items=N_ITEMS)


def test_recommend_excludes_history_and_is_sorted(model: Recommender) -> None:
    """Top-k never repeats the history and scores are non-increasing."""
    ids, scores = model.recommend([0, 1], k=4)
    assert not {0, 1} & set(ids.tolist())
    assert list(scores) == sorted(scores, reverse=True)
    assert len(ids) == 4


def test_save_load_round_trip(model: Recommender, tmp_path: Path) -> None:
    """A saved model scores exactly as before."""
    path = tmp_path / "m.npz"
    model.save(path)
    again = load_recommender(path)
    np.testing.assert_allclose(again.score([[0, 1]]), model.score([[0, 1]]), rtol=1e-6)


@pytest.mark.parametrize("k", [0, -3])
def test_bad_k(model: Recommender, k: int) -> None:
    """k must be positive."""
    with pytest.raises(InvalidInputError, match="'k'"):
        model.recommend([0], k=k)


@pytest.mark.parametrize("cls", [EASERecommender, SLISTRecommender])
def test_models_learn_the_routine(cls: type[EASERecommender | SLISTRecommender]) -> None:
    """After 4 -> 5 the item-item models suggest 6 first; a new interaction changes that at once."""
    m = cls(l2=1.0).fit(SEQUENCES, n_items=N_ITEMS)
    assert m.recommend([4, 5], k=1)[0][0] == 6
    assert m.recommend([4, 5, 0, 1], k=1)[0][0] == 2
    assert m.similar_items(0, k=1)[0][0] not in (4, 5, 6)


def test_unfitted_and_bad_params() -> None:
    """Unfitted use and bad parameters name the problem."""
    with pytest.raises(NotFittedError):
        SLISTRecommender().recommend([0])
    with pytest.raises(InvalidInputError, match="alpha"):
        SLISTRecommender(alpha=2.0)
    with pytest.raises(InvalidInputError, match="l2"):
        EASERecommender(l2=0)
    with pytest.raises(InvalidInputError, match="sequences"):
        EASERecommender().fit([[0, 99]], n_items=3)


def test_attribute_similarity_links_items_sharing_attributes() -> None:
    """With item attributes, an item never seen in a sequence is still suggested next to
    items sharing its brand; without them it is not, and bad attribute input names the field."""
    n_items = N_ITEMS + 1  # item 8: never interacted with, same attributes as item 6
    attrs = [[0], [0], [0], [0], [1], [1], [1, 2], [3], [1, 2]]
    plain = SLISTRecommender(alpha=0.5, l2=1.0).fit(SEQUENCES, n_items=n_items)
    assert plain.score([[6]])[0, 8] == 0.0
    hybrid = SLISTRecommender(alpha=0.5, l2=1.0, attribute_weight=0.5).fit(
        SEQUENCES, n_items=n_items, item_attributes=attrs
    )
    scores = hybrid.score([[6]])[0]
    assert scores[8] > 0.0
    assert scores[8] > scores[[0, 1, 2, 3]].max()
    assert 8 in hybrid.recommend([6], k=3)[0].tolist()
    assert hybrid.B_ is not None and plain.B_ is not None
    np.testing.assert_allclose(np.diag(hybrid.B_), np.diag(plain.B_), atol=1e-6)
    with pytest.raises(InvalidInputError, match="item_attributes"):
        SLISTRecommender(attribute_weight=0.5).fit(SEQUENCES, n_items=n_items)
    with pytest.raises(InvalidInputError, match="item_attributes"):
        SLISTRecommender(attribute_weight=0.5).fit(
            SEQUENCES, n_items=n_items, item_attributes=attrs[:3]
        )
    with pytest.raises(InvalidInputError, match="attribute_weight"):
        SLISTRecommender(attribute_weight=-1.0)


def test_app_model_uses_brand_and_category() -> None:
    """The guide's item-item model adds the catalogue's brand and category: a product nobody
    bought with the history item still scores above an unrelated one when it shares its brand
    and category (as the benchmark's winning model uses Beauty's brand/category ids)."""
    from lingxi.guide.catalogue import CatalogueIndex
    from lingxi.guide.personal import fit_personal
    from lingxi.guide.schemas import ProductFacts

    def product(pid: int, brand: str, category: str) -> ProductFacts:
        return ProductFacts(pid, f"P{pid}", brand, category, 1000, 4.0, (), ())

    index = CatalogueIndex(
        [
            product(1, "Acme", "cleanser"),
            product(2, "Acme", "cleanser"),  # same brand and category as 1, never co-bought
            product(3, "Other", "sunscreen"),
            product(4, "Other", "sunscreen"),
        ]
    )
    # 1 and 3 are bought by separate people; 2 and 4 by a third: no sequence links 1 with 2.
    personal, _ = fit_personal(index, [[1], [3, 4], [2, 4], [1], [3]])
    assert personal is not None
    col = personal.column
    scores = personal.model.score([[int(col[index.position[1]])]])[0]
    assert scores[col[index.position[2]]] > scores[col[index.position[3]]]
    assert scores[col[index.position[2]]] > 0


def test_attribute_transitions_learn_what_follows_a_brand() -> None:
    """The learned attribute-to-next-item map suggests, after a never-bought item, the items
    that usually follow its brand (brand 1 after brand 0), where the cosine term suggests its
    own brand and plain SLIST knows nothing; a weight of 0 gives SLIST's matrix exactly."""
    # Brand 0: items 0, 1, 2 and never-bought 6; brand 1: items 3, 4 and 5.
    attrs = [[0], [0], [0], [1], [1], [1], [0]]
    sequences = [[0, 3], [1, 4], [2, 3], [1, 3], [0, 4], [2, 4], [5]] * 3
    n_items = len(attrs)
    cosine = SLISTRecommender(alpha=0.5, l2=1.0, attribute_weight=0.5).fit(
        sequences, n_items=n_items, item_attributes=attrs
    )
    learned = SLISTRecommender(alpha=0.5, l2=1.0, attribute_transition_weight=1.0).fit(
        sequences, n_items=n_items, item_attributes=attrs
    )
    c_scores, l_scores = cosine.score([[6]])[0], learned.score([[6]])[0]
    assert c_scores[[0, 1, 2]].min() > c_scores[[3, 4]].max()
    assert l_scores[[3, 4]].min() > l_scores[[0, 1, 2, 5]].max()
    assert set(learned.recommend([6], k=2)[0].tolist()) == {3, 4}
    assert cosine.recommend([6], k=2)[0].tolist() != learned.recommend([6], k=2)[0].tolist()
    off = SLISTRecommender(alpha=0.5, l2=1.0, attribute_transition_weight=0.0).fit(
        sequences, n_items=n_items, item_attributes=attrs
    )
    plain = SLISTRecommender(alpha=0.5, l2=1.0).fit(sequences, n_items=n_items)
    assert off.B_ is not None and plain.B_ is not None and learned.B_ is not None
    np.testing.assert_array_equal(off.B_, plain.B_)
    np.testing.assert_allclose(np.diag(learned.B_), np.diag(plain.B_), atol=1e-6)
    with pytest.raises(InvalidInputError, match="item_attributes"):
        SLISTRecommender(attribute_transition_weight=1.0).fit(sequences, n_items=n_items)
    with pytest.raises(InvalidInputError, match="attribute_transition_l2"):
        SLISTRecommender(attribute_transition_l2=0.0)


def test_attribute_transitions_save_load(tmp_path: Path) -> None:
    """Both new parameters round-trip through save/load."""
    attrs = [[0], [0], [0], [1], [1], [1], [0]]
    m = SLISTRecommender(
        alpha=0.5, l2=1.0, attribute_transition_weight=0.3, attribute_transition_l2=2.0
    ).fit([[0, 3], [1, 4], [2, 3]] * 3, n_items=7, item_attributes=attrs)
    m.save(tmp_path / "m.npz")
    again = load_recommender(tmp_path / "m.npz")
    assert isinstance(again, SLISTRecommender)
    assert (again.attribute_transition_weight, again.attribute_transition_l2) == (0.3, 2.0)
    np.testing.assert_allclose(again.score([[0]]), m.score([[0]]), rtol=1e-6)
