"""Recommender training and batch scoring as independent tasks (nightly jobs).

* :func:`fit_many` fits several candidate models (a hyper-parameter grid, or one model per
  store or region) on the same interactions: one task per model, the interactions sent once.
* :func:`recommend_many` scores many people's histories with one fitted model: one task per
  block of histories, the model sent once.

Both go through :func:`lingxi.compute.map_with`, so they run in this process by default and as
Ray tasks when ``LINGXI_RAY__ADDRESS`` is set; the answers are the same either way (the fits
are closed-form and the scoring is a deterministic top-k).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from lingxi.compute import map_with
from lingxi.config import RaySettings
from lingxi.errors import InvalidInputError
from lingxi.guide.recommender import Recommender, _check_k, _top_k

__all__ = ["fit_many", "recommend_many"]

M = TypeVar("M", bound=Recommender)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class _Interactions:
    sequences: tuple[tuple[int, ...], ...]
    n_items: int


def _fit_one(data: _Interactions, model: M) -> M:
    # Fit a copy: in-process runs must not mutate the caller's unfitted candidates either.
    return copy.deepcopy(model).fit(data.sequences, n_items=data.n_items)


def _score_block(
    job: tuple[Recommender, int, bool], histories: tuple[tuple[int, ...], ...]
) -> list[tuple[IntArray, FloatArray]]:
    model, k, exclude_seen = job
    _check_k(k)
    # One profile-matrix product for the block (what recommend() does one history at a time,
    # row for row the same numbers); empty histories take recommend()'s popularity fallback.
    filled = [h for h in histories if h]
    scores = model.score(filled) if filled else np.zeros((0, 0), dtype=np.float32)
    out: list[tuple[IntArray, FloatArray]] = []
    row_of_filled = 0
    for h in histories:
        if not h:
            out.append(model.recommend([], k=k, exclude_seen=exclude_seen))
            continue
        row = np.array(scores[row_of_filled], dtype=np.float32)
        row_of_filled += 1
        if exclude_seen:
            row[np.asarray(h, dtype=np.int64)] = -np.inf
        out.append(_top_k(row, k))
    return out


def fit_many(
    models: Sequence[M],
    sequences: Sequence[Sequence[int]],
    *,
    n_items: int,
    settings: RaySettings | None = None,
) -> list[M]:
    """Fit a copy of each (unfitted) model on ``sequences``; one task per model.

    Returns the fitted copies in the order of ``models``.
    """
    data = _Interactions(tuple(tuple(int(i) for i in s) for s in sequences), n_items)
    return map_with(_fit_one, data, list(models), settings=settings or RaySettings())


def recommend_many(
    model: Recommender,
    histories: Sequence[Sequence[int]],
    *,
    k: int = 10,
    exclude_seen: bool = True,
    block: int = 512,
    settings: RaySettings | None = None,
) -> list[tuple[IntArray, FloatArray]]:
    """The top ``k`` items (ids, scores) for each history, scored in blocks of ``block``.

    Raises
    ------
    InvalidInputError
        ``block`` is not a positive integer (``k`` is checked by the model).
    """
    if block < 1:
        raise InvalidInputError.for_field("block", "an int in [1, inf)", block)
    rows = [tuple(int(i) for i in h) for h in histories]
    blocks = [tuple(rows[i : i + block]) for i in range(0, len(rows), block)]
    parts = map_with(
        _score_block, (model, k, exclude_seen), blocks, settings=settings or RaySettings()
    )
    return [r for part in parts for r in part]
