"""Personal recommenders trained on interaction sequences (numpy/scipy only).

Every model implements :class:`Recommender`: ``fit`` on per-person item sequences (item
indices ``0..n_items-1``, oldest first), then score a *history* directly. Scoring works from
the history alone (a weighted profile vector times an item-item matrix), so a new view or
purchase changes that person's next recommendations at once, with no retrain.

* :class:`PopularityRecommender`: the always-available baseline.
* :class:`EASERecommender`: EASE (Steck, WWW 2019) on a recency-weighted profile.
* :class:`SLISTRecommender`: SLIST (Choi et al., WWW 2021): one closed-form item-item matrix that
  both reconstructs whole sequences (SLIS) and maps each prefix to the items that follow it (SLIT),
  optionally plus ``attribute_weight`` times an item-item similarity from item side information
  (cosine of idf-weighted attribute vectors: brand, category, ...), added to the same matrix,
  and ``attribute_transition_weight`` times a learned attribute-to-next-item map (a ridge
  regression from the attributes of each prefix to the items that follow it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from lingxi.errors import InvalidInputError, LingxiError

if TYPE_CHECKING:
    # SciPy (~0.2-0.6 s to import) is needed to fit a model, never to score with a stored one:
    # each fitting function imports it itself.
    import scipy.sparse as sp

__all__ = [
    "EASERecommender",
    "NotFittedError",
    "PopularityRecommender",
    "Recommender",
    "SLISTRecommender",
    "attribute_features",
    "load_recommender",
    "profile_matrix",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class NotFittedError(LingxiError, ValueError):
    """A recommender was used before ``fit``."""

    code = "not_fitted"


@runtime_checkable
class Recommender(Protocol):
    """What every personal recommender offers."""

    n_items_: int

    def fit(self, sequences: Sequence[Sequence[int]], *, n_items: int) -> Self:
        """Learn from per-person item sequences (oldest first)."""

    def score(self, histories: Sequence[Sequence[int]]) -> FloatArray:
        """Scores of every item for each history, shape ``(len(histories), n_items)``."""

    def recommend(
        self, history: Sequence[int], *, k: int = 10, exclude_seen: bool = True
    ) -> tuple[IntArray, FloatArray]:
        """The top ``k`` items and their scores for one history."""

    def similar_items(self, item: int, *, k: int = 10) -> tuple[IntArray, FloatArray]:
        """The ``k`` items most related to ``item`` (excluding itself)."""

    def save(self, path: Path) -> None:
        """Write the fitted model to ``path`` (``.npz``)."""


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidInputError.for_field("k", "an int in [1, inf)", k)


def _check_sequences(sequences: Sequence[Sequence[int]], n_items: int) -> None:
    if n_items < 1:
        raise InvalidInputError.for_field("n_items", "an int in [1, inf)", n_items)
    for seq in sequences:
        for item in seq:
            if not 0 <= item < n_items:
                raise InvalidInputError.for_field(
                    "sequences", f"item indices in [0, {n_items})", item
                )


def profile_matrix(
    histories: Sequence[Sequence[int]], n_items: int, *, decay: float | None
) -> sp.csr_matrix:
    """Sparse profiles, one row per history, the last item weighted 1 and older ones
    ``exp(-age / decay)`` (``decay=None``: all 1). Repeats add up."""
    import scipy.sparse as sp

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, seq in enumerate(histories):
        n = len(seq)
        for j, item in enumerate(seq):
            rows.append(r)
            cols.append(int(item))
            vals.append(1.0 if decay is None else float(np.exp(-(n - 1 - j) / decay)))
    return sp.csr_matrix(
        (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(histories), n_items)
    )


def attribute_features(item_attributes: Sequence[Sequence[int]], n_items: int) -> sp.csr_matrix:
    """Row-normalised idf-weighted binary attribute vectors, one row per item, so that
    ``F @ F.T`` is the cosine similarity of items' attributes (brand, category, ...).

    ``item_attributes[i]`` lists the attribute ids of item ``i`` (may be empty)."""
    import scipy.sparse as sp

    if len(item_attributes) != n_items:
        raise InvalidInputError.for_field(
            "item_attributes", f"one attribute list per item ({n_items})", len(item_attributes)
        )
    rows: list[int] = []
    cols: list[int] = []
    for i, attrs in enumerate(item_attributes):
        for a in set(attrs):
            if not isinstance(a, int | np.integer) or a < 0:
                raise InvalidInputError.for_field("item_attributes", "int ids in [0, inf)", a)
            rows.append(i)
            cols.append(int(a))
    n_attrs = max(cols, default=-1) + 1
    F = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_items, n_attrs)
    )
    df = np.asarray(F.sum(axis=0)).ravel()
    F = (F @ sp.diags(np.log(n_items / np.maximum(df, 1.0)).astype(np.float32))).tocsr()
    F.eliminate_zeros()
    norms = np.sqrt(np.asarray(F.multiply(F).sum(axis=1)).ravel())
    out: sp.csr_matrix = (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ F).tocsr()
    return out.astype(np.float32)


def _top_k(scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    k = min(k, scores.shape[0])
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx.astype(np.int64), scores[idx].astype(np.float32)


def _spd_inverse(gram: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Inverse of a symmetric positive definite matrix through Cholesky (half LU's work)."""
    import scipy.linalg

    chol, info = scipy.linalg.lapack.dpotrf(gram, lower=False, overwrite_a=True)
    if info != 0:
        raise InvalidInputError.for_field(
            "l2", "large enough to make the Gram matrix positive definite", info
        )
    inv, info = scipy.linalg.lapack.dpotri(chol, lower=False, overwrite_c=True)
    if info != 0:
        raise InvalidInputError.for_field("l2", "large enough to invert the Gram matrix", info)
    full: npt.NDArray[np.float64] = np.triu(inv) + np.triu(inv, 1).T
    return full


def _attribute_transitions(
    S: sp.csr_matrix, T: sp.csr_matrix, feats: sp.csr_matrix, l2: float
) -> npt.NDArray[np.float64]:
    """``F W`` with ``W = argmin ||T - S F W||^2 + l2 ||W||^2``: from each item's attributes to
    the items that follow it, learned on prefix/suffix pairs. The solve is attributes x
    attributes (hundreds), so it costs little next to SLIST's item x item inverse."""
    G = (S @ feats.astype(np.float64)).tocsr()
    gram = np.asarray((G.T @ G).toarray())
    gram[np.diag_indices(gram.shape[0])] += l2
    W = np.linalg.solve(gram, np.asarray((G.T @ T).toarray()))
    out: npt.NDArray[np.float64] = np.asarray(feats.astype(np.float64) @ W)
    return out


class _ItemItemBase:
    """Shared scoring for models that are a profile vector times an item-item matrix."""

    n_items_: int
    B_: FloatArray | None = None
    popularity_: FloatArray | None = None
    profile_decay: float | None = None

    def _fitted(self) -> FloatArray:
        if self.B_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first.")
        return self.B_

    def score(self, histories: Sequence[Sequence[int]]) -> FloatArray:
        """Scores of every item for each history, shape ``(len(histories), n_items)``."""
        B = self._fitted()
        X = profile_matrix(histories, self.n_items_, decay=self.profile_decay)
        out: FloatArray = np.asarray(X @ B, dtype=np.float32)
        return out

    def recommend(
        self, history: Sequence[int], *, k: int = 10, exclude_seen: bool = True
    ) -> tuple[IntArray, FloatArray]:
        """The top ``k`` items for one history; an empty history falls back to popularity."""
        _check_k(k)
        self._fitted()
        if history:
            scores = self.score([history])[0]
        else:
            assert self.popularity_ is not None
            scores = self.popularity_.copy()
        if exclude_seen and history:
            scores[np.asarray(history, dtype=np.int64)] = -np.inf
        return _top_k(scores, k)

    def similar_items(self, item: int, *, k: int = 10) -> tuple[IntArray, FloatArray]:
        """Items whose column in the item-item matrix is driven most by ``item``."""
        _check_k(k)
        B = self._fitted()
        if not 0 <= item < self.n_items_:
            raise InvalidInputError.for_field("item", f"an index in [0, {self.n_items_})", item)
        row = B[item].astype(np.float32, copy=True)
        row[item] = -np.inf
        return _top_k(row, k)

    def _popularity(self, sequences: Sequence[Sequence[int]]) -> FloatArray:
        counts = np.zeros(self.n_items_, dtype=np.float32)
        for seq in sequences:
            np.add.at(counts, np.asarray(seq, dtype=np.int64), 1.0)
        return counts / max(float(counts.max()), 1.0)

    def _params(self) -> dict[str, Any]:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        """Write the fitted matrix and parameters to ``path`` (``.npz``)."""
        B = self._fitted()
        assert self.popularity_ is not None
        np.savez(
            path,
            kind=np.array(type(self).__name__),
            params=np.array(repr(self._params())),
            B=B,
            popularity=self.popularity_,
        )


@dataclass
class PopularityRecommender:
    """Recommend what most people interacted with (the baseline every model must beat)."""

    n_items_: int = 0
    counts_: FloatArray | None = None

    def fit(self, sequences: Sequence[Sequence[int]], *, n_items: int) -> Self:
        """Count interactions per item."""
        _check_sequences(sequences, n_items)
        self.n_items_ = n_items
        counts = np.zeros(n_items, dtype=np.float32)
        for seq in sequences:
            np.add.at(counts, np.asarray(seq, dtype=np.int64), 1.0)
        self.counts_ = counts
        return self

    def _counts(self) -> FloatArray:
        if self.counts_ is None:
            raise NotFittedError("PopularityRecommender is not fitted; call fit() first.")
        return self.counts_

    def score(self, histories: Sequence[Sequence[int]]) -> FloatArray:
        """The same popularity scores for every history."""
        counts = self._counts()
        return np.tile(counts, (len(histories), 1))

    def recommend(
        self, history: Sequence[int], *, k: int = 10, exclude_seen: bool = True
    ) -> tuple[IntArray, FloatArray]:
        """The ``k`` most popular items not in the history."""
        _check_k(k)
        scores = self._counts().copy()
        if exclude_seen and history:
            scores[np.asarray(history, dtype=np.int64)] = -np.inf
        return _top_k(scores, k)

    def similar_items(self, item: int, *, k: int = 10) -> tuple[IntArray, FloatArray]:
        """Popularity knows no similarity: the most popular other items."""
        return self.recommend([item], k=k)

    def save(self, path: Path) -> None:
        """Write the counts to ``path``."""
        np.savez(
            path,
            kind=np.array("PopularityRecommender"),
            params=np.array("{}"),
            counts=self._counts(),
        )


@dataclass
class EASERecommender(_ItemItemBase):
    """EASE: ``B = I - P diag(1/diag(P))`` with ``P = (X'X + l2 I)^-1``, zero diagonal."""

    l2: float = 50.0
    """Ridge strength (lambda)."""
    profile_decay: float | None = 2.0
    """Recency decay (in items) of the scoring profile; ``None`` weighs the history evenly."""

    def __post_init__(self) -> None:
        if not self.l2 > 0:
            raise InvalidInputError.for_field("l2", "a float in (0, inf)", self.l2)
        if self.profile_decay is not None and not self.profile_decay > 0:
            raise InvalidInputError.for_field(
                "profile_decay", "a float in (0, inf) or None", self.profile_decay
            )
        self.n_items_ = 0

    def _params(self) -> dict[str, Any]:
        return {"l2": self.l2, "profile_decay": self.profile_decay}

    def fit(self, sequences: Sequence[Sequence[int]], *, n_items: int) -> Self:
        """Solve EASE in closed form on the binary person-item matrix."""
        _check_sequences(sequences, n_items)
        self.n_items_ = n_items
        X = profile_matrix(sequences, n_items, decay=None)
        X.data[:] = 1.0
        gram = np.asarray((X.T @ X).toarray(), dtype=np.float64)
        gram[np.diag_indices(n_items)] += self.l2
        P = _spd_inverse(gram)
        B = P / (-np.diag(P))
        B[np.diag_indices(n_items)] = 0.0
        self.B_ = B.astype(np.float32)
        self.popularity_ = self._popularity(sequences)
        return self


@dataclass
class SLISTRecommender(_ItemItemBase):
    """SLIST: one closed-form item-item matrix for whole-sequence and next-item structure.

    Minimises ``alpha ||X - X B||^2 + (1 - alpha) ||T - S B||^2 + l2 ||B||^2`` where ``X`` holds
    whole sequences, and each row of ``S``/``T`` is a prefix/suffix pair of one sequence,
    weighted by ``exp(-distance / position_decay)`` from the split. The diagonal of ``B`` is
    capped at ``max_diag`` as in the paper.
    """

    alpha: float = 0.5
    """Weight of the whole-sequence (SLIS) term against the transition (SLIT) term."""
    l2: float = 10.0
    """Ridge strength."""
    position_decay: float = 1.0
    """How fast prefix/suffix weights fall with distance from the split (in items)."""
    profile_decay: float | None = 1.0
    """Recency decay of the scoring profile (in items)."""
    max_diag: float = 0.0
    """Cap on the self-weight of each item."""
    max_span: int = 20
    """Only pairs within this many positions of the split count (keeps S and T sparse)."""
    attribute_weight: float = 0.0
    """Weight of the attribute similarity added to ``B`` (needs ``item_attributes`` in fit)."""
    attribute_transition_weight: float = 0.0
    """Weight of the attribute-to-next-item map ``F W`` added to ``B``, where ``W`` maps the
    attributes of each prefix (``S F``) to its suffix ``T`` (needs ``item_attributes``): it
    learns which items follow a brand or category, which the cosine term cannot."""
    attribute_transition_l2: float = 10.0
    """Ridge strength of that map (its Gram matrix is only attributes x attributes)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise InvalidInputError.for_field("alpha", "a float in [0, 1]", self.alpha)
        for name in ("l2", "position_decay"):
            if not getattr(self, name) > 0:
                raise InvalidInputError.for_field(name, "a float in (0, inf)", getattr(self, name))
        if self.profile_decay is not None and not self.profile_decay > 0:
            raise InvalidInputError.for_field(
                "profile_decay", "a float in (0, inf) or None", self.profile_decay
            )
        if self.max_span < 1:
            raise InvalidInputError.for_field("max_span", "an int in [1, inf)", self.max_span)
        for name in ("attribute_weight", "attribute_transition_weight"):
            if not getattr(self, name) >= 0:
                raise InvalidInputError.for_field(name, "a float in [0, inf)", getattr(self, name))
        if not self.attribute_transition_l2 > 0:
            raise InvalidInputError.for_field(
                "attribute_transition_l2", "a float in (0, inf)", self.attribute_transition_l2
            )
        self.n_items_ = 0

    def _params(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "l2": self.l2,
            "position_decay": self.position_decay,
            "profile_decay": self.profile_decay,
            "max_diag": self.max_diag,
            "max_span": self.max_span,
            "attribute_weight": self.attribute_weight,
            "attribute_transition_weight": self.attribute_transition_weight,
            "attribute_transition_l2": self.attribute_transition_l2,
        }

    def _prefix_suffix(
        self, sequences: Sequence[Sequence[int]], n_items: int
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        import scipy.sparse as sp

        s_rows: list[int] = []
        s_cols: list[int] = []
        s_vals: list[float] = []
        t_rows: list[int] = []
        t_cols: list[int] = []
        t_vals: list[float] = []
        row = 0
        span = self.max_span
        weights = np.exp(-np.arange(span) / self.position_decay).tolist()
        for seq in sequences:
            n = len(seq)
            for t in range(1, n):
                for d, j in enumerate(range(t - 1, max(t - 1 - span, -1), -1)):
                    s_rows.append(row)
                    s_cols.append(int(seq[j]))
                    s_vals.append(weights[d])
                for d, j in enumerate(range(t, min(t + span, n))):
                    t_rows.append(row)
                    t_cols.append(int(seq[j]))
                    t_vals.append(weights[d])
                row += 1
        shape = (row, n_items)
        S = sp.csr_matrix((np.asarray(s_vals), (s_rows, s_cols)), shape=shape)
        T = sp.csr_matrix((np.asarray(t_vals), (t_rows, t_cols)), shape=shape)
        return S, T

    def fit(
        self,
        sequences: Sequence[Sequence[int]],
        *,
        n_items: int,
        item_attributes: Sequence[Sequence[int]] | None = None,
    ) -> Self:
        """Solve SLIST in closed form; with ``item_attributes`` (one list of attribute ids per
        item), add the attribute similarity (``attribute_weight > 0``) and the learned
        attribute-to-next-item map (``attribute_transition_weight > 0``) to ``B``."""
        _check_sequences(sequences, n_items)
        uses_attributes = self.attribute_weight > 0 or self.attribute_transition_weight > 0
        if uses_attributes and item_attributes is None:
            raise InvalidInputError.for_field(
                "item_attributes", "given when an attribute weight is > 0", None
            )
        feats = (
            attribute_features(item_attributes, n_items)
            if item_attributes is not None and uses_attributes
            else None
        )
        self.n_items_ = n_items
        X = profile_matrix(sequences, n_items, decay=None).astype(np.float64)
        X.data[:] = 1.0
        S, T = self._prefix_suffix(sequences, n_items)
        a = self.alpha
        g_xx = (X.T @ X).tocsr()
        g_ss = (S.T @ S).tocsr()
        g_st = (S.T @ T).tocsr()
        gram = (a * g_xx + (1 - a) * g_ss).toarray()
        gram[np.diag_indices(n_items)] += self.l2
        P = _spd_inverse(gram)
        del gram
        # B = P (a Gxx + (1-a) Gst) = I - l2 P + (1-a) P (Gst - Gss): a sparse right factor.
        diff = ((1 - a) * (g_st - g_ss)).tocsc()
        B = np.asarray((diff.T @ P.T).T)
        B -= self.l2 * P
        B[np.diag_indices(n_items)] += 1.0
        diag = np.diag(B).copy()
        over = np.maximum(diag - self.max_diag, 0.0) / np.diag(P)
        B -= P * over[None, :]
        del P
        if feats is not None:
            # Both attribute terms leave the diagonal (self-weight) as SLIST set it.
            diag = np.diag(B).copy()
            if self.attribute_weight > 0:
                # B += w F F' in row blocks (F F' is too dense to hold as a sparse matrix).
                for start in range(0, n_items, 2048):
                    block = feats[start : start + 2048] @ feats.T
                    B[start : start + 2048] += self.attribute_weight * block.toarray()
            if self.attribute_transition_weight > 0:
                B += self.attribute_transition_weight * _attribute_transitions(
                    S, T, feats, self.attribute_transition_l2
                )
            B[np.diag_indices(n_items)] = diag
        self.B_ = B.astype(np.float32)
        self.popularity_ = self._popularity(sequences)
        return self


def load_recommender(path: Path) -> PopularityRecommender | EASERecommender | SLISTRecommender:
    """Read a model written by ``save``."""
    import ast

    with np.load(path, allow_pickle=False) as data:
        kind = str(data["kind"])
        params = ast.literal_eval(str(data["params"]))
        if kind == "PopularityRecommender":
            pop = PopularityRecommender()
            pop.counts_ = data["counts"].astype(np.float32)
            pop.n_items_ = int(pop.counts_.shape[0])
            return pop
        model: EASERecommender | SLISTRecommender
        if kind == "EASERecommender":
            model = EASERecommender(**params)
        elif kind == "SLISTRecommender":
            model = SLISTRecommender(**params)
        else:
            raise InvalidInputError.for_field("path", "a saved Lingxi recommender", str(path))
        model.B_ = data["B"].astype(np.float32)
        model.popularity_ = data["popularity"].astype(np.float32)
        model.n_items_ = int(model.B_.shape[0])
        return model
