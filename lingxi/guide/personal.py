"""What the guide may know about the person served, and the item-item model over histories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from lingxi.guide.catalogue import CatalogueIndex
from lingxi.guide.recommender import SLISTRecommender

__all__ = [
    "ATTRIBUTE_WEIGHT",
    "HistoryEvent",
    "PersonContext",
    "Personal",
    "fit_personal",
    "item_attributes",
]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One past interaction of the person being served."""

    product_id: int
    kind: str
    value: float | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderedItem:
    """A product in one of the person's orders, as their Orders page lists it."""

    product_id: int
    order_id: int
    ordered_at: datetime


@dataclass(frozen=True, slots=True)
class PersonContext:
    """What the guide may use about the person, already filtered by their consents."""

    customer_id: int | None = None
    skin_types: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    avoid_ingredients: tuple[str, ...] = ()
    history: tuple[HistoryEvent, ...] = field(default=())
    """Every interaction (views, carts, purchases, ratings): it shapes the ranking."""
    ordered: tuple[OrderedItem, ...] = field(default=())
    """The products of the person's own orders (not cancelled): the only history a reason may
    cite, since it is the only history the person can check."""

    @property
    def has_profile(self) -> bool:
        """True when a stated profile is available."""
        return bool(self.skin_types or self.concerns or self.brands or self.avoid_ingredients)


@dataclass(frozen=True, slots=True)
class Personal:
    """The item-item model over the catalogue rows that have interactions."""

    model: SLISTRecommender
    column: npt.NDArray[np.int64]
    """Catalogue row -> model item index, or -1 for rows the model does not know."""


def fit_personal(
    index: CatalogueIndex, sequences: Sequence[Sequence[int]], *, max_items: int = 5000
) -> tuple[Personal | None, npt.NDArray[np.float32]]:
    rows = [[index.position[p] for p in seq if p in index.position] for seq in sequences]
    rows = [r for r in rows if r]
    counts = np.zeros(len(index), dtype=np.float32)
    for r in rows:
        np.add.at(counts, np.asarray(r), 1.0)
    popularity = counts.copy()
    if popularity.max() > 0:
        popularity = (np.log1p(popularity) / np.log1p(popularity.max())).astype(np.float32)
    if not rows:
        return None, popularity
    # Only items with interactions get a column (the most popular ``max_items``), so a large
    # catalogue does not need an n x n matrix.
    active = np.flatnonzero(counts)
    if active.size > max_items:
        active = active[np.argsort(-counts[active], kind="stable")[:max_items]]
    column = np.full(len(index), -1, dtype=np.int64)
    column[active] = np.arange(active.size)
    seqs = [[int(column[x]) for x in r if column[x] >= 0] for r in rows]
    model = SLISTRecommender(
        alpha=0.2, l2=10.0, profile_decay=4.0, attribute_weight=ATTRIBUTE_WEIGHT
    )
    model.fit(
        [q for q in seqs if q],
        n_items=int(active.size),
        item_attributes=item_attributes(index, active),
    )
    return Personal(model, column), popularity


ATTRIBUTE_WEIGHT = 0.01
"""Weight of the brand/category similarity in the item-item matrix: the value chosen on the
Amazon Beauty validation split (``bench_guide_recommender``), where brand and category ids lift
NDCG@10 by about 0.007 over co-purchases alone."""


def item_attributes(index: CatalogueIndex, rows: npt.NDArray[np.int64]) -> list[list[int]]:
    """Attribute ids of the given catalogue rows: their brand, then their category (offset past
    the brands), so products that share either are similar even with no shared buyers."""
    n_brands = len(index.brands)
    return [[int(index.brand[r]), n_brands + int(index.category[r])] for r in rows]
