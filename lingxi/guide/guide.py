"""ShoppingGuide: parse -> exact filter (with stated relaxation) -> hybrid + personal ranking ->
reasons from facts; plus two-product comparison and interaction recording."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.guide import replies
from lingxi.guide.catalogue import CatalogueIndex, satisfies
from lingxi.guide.constraints import ParseParams, parse_need
from lingxi.guide.personal import HistoryEvent, OrderedItem, Personal, PersonContext, fit_personal
from lingxi.guide.retrieval import (
    HybridRetriever,
)
from lingxi.guide.schemas import Comparison, GuideResult, ProductFacts, ProductQuery, Recommendation

if TYPE_CHECKING:
    from lingxi.data import Database

__all__ = [
    "MAX_K",
    "HistoryEvent",
    "OrderedItem",
    "PersonContext",
    "RankingParams",
    "ShoppingGuide",
]

logger = logging.getLogger(__name__)

MAX_K = 100
"""The most items one recommendation returns."""

_KIND_WEIGHT = {"view": 1.0, "cart": 2.0, "purchase": 3.0, "rating": 0.0}


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Weights of the blended ranking (each signal is scaled to [0, 1] first)."""

    relevance: float = 0.45
    rating: float = 0.15
    popularity: float = 0.10
    personal: float = 0.30
    profile: float = 0.10
    history_decay: float = 4.0
    """Recency decay of a person's history, in interactions."""

    def __post_init__(self) -> None:
        for name in ("relevance", "rating", "popularity", "personal", "profile"):
            value = getattr(self, name)
            if not 0 <= value <= 10:
                raise InvalidInputError.for_field(name, "a weight in [0, 10]", value)
        if not self.history_decay > 0:
            raise InvalidInputError.for_field(
                "history_decay", "a float in (0, inf)", self.history_decay
            )


class ShoppingGuide:
    """The shopping guide over one catalogue.

    Build it with :meth:`from_products` (plain facts, e.g. in tests and benchmarks) or
    :meth:`from_database` (the app: products, cached embeddings and interactions from the data
    layer). Then call :meth:`parse`, :meth:`recommend`, :meth:`compare`.
    """

    def __init__(
        self,
        index: CatalogueIndex,
        retriever: HybridRetriever,
        *,
        recommender: Personal | None = None,
        popularity: npt.NDArray[np.float32] | None = None,
        params: RankingParams | None = None,
        parse_params: ParseParams | None = None,
    ) -> None:
        self.index = index
        self.retriever = retriever
        self.recommender = recommender
        self.params = params or RankingParams()
        self.parse_params = parse_params or ParseParams()
        n = len(index)
        self.popularity = popularity if popularity is not None else np.zeros(n, dtype=np.float32)
        rating = np.nan_to_num(index.rating, nan=3.5)
        self._rating_score = np.clip((rating - 3.0) / 2.0, 0.0, 1.0).astype(np.float32)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_products(
        cls,
        products: Sequence[ProductFacts],
        *,
        embeddings: npt.NDArray[np.float32] | None = None,
        sequences: Sequence[Sequence[int]] = (),
        params: RankingParams | None = None,
        parse_params: ParseParams | None = None,
    ) -> ShoppingGuide:
        """A guide over ``products``; ``sequences`` are per-person product-id histories."""
        if not products:
            raise InvalidInputError.for_field("products", "a non-empty catalogue", 0)
        index = CatalogueIndex(products)
        retriever = HybridRetriever(index.products, embeddings=embeddings)
        recommender, popularity = fit_personal(index, sequences)
        return cls(
            index,
            retriever,
            recommender=recommender,
            popularity=popularity,
            params=params,
            parse_params=parse_params,
        )

    @classmethod
    def from_database(
        cls,
        db: Database,
        *,
        params: RankingParams | None = None,
        vector_search: Literal["auto", "numpy"] = "auto",
        parse_params: ParseParams | None = None,
        cache_dir: Path | None = None,
    ) -> ShoppingGuide:
        """A guide over the stored catalogue; embeddings are cached in ``product_embedding``.

        With ``cache_dir`` the built index is kept there: its catalogue part is reused until the
        catalogue or its embeddings change, its personal part until the interactions do
        (:mod:`lingxi.guide.index_cache`).
        With ``vector_search="auto"`` on PostgreSQL with the ``vector`` extension, the semantic
        scores of each request's candidates are computed by the server (pgvector); otherwise by
        one in-process mat-vec. Both give the same scores.
        """
        from lingxi.guide import _build, index_cache

        parts = (
            index_cache.cached(
                db,
                cache_dir,
                catalogue=lambda: _build.build_catalogue(db),
                personal=lambda index: _build.build_personal(db, index),
            )
            if cache_dir is not None
            else _build.build_from_database(db)
        )
        guide = cls(
            parts.index,
            parts.retriever,
            recommender=parts.recommender,
            popularity=parts.popularity,
            params=params,
            parse_params=parse_params,
        )
        if vector_search == "auto":
            from lingxi.guide.vector_index import build_index

            index = build_index(db, [int(i) for i in guide.index.ids], guide.retriever.embeddings)
            if index.backend == "pgvector":
                guide.retriever.vector_index = index
        return guide

    # ------------------------------------------------------------------------ public

    def parse(self, text: str) -> ProductQuery:
        """The need in ``text`` (see :func:`lingxi.guide.parse_need`), reading this catalogue's
        brand names as brands."""
        return parse_need(text, params=self.parse_params, catalogue_brands=self.index.brands)

    def product(self, product_id: int) -> ProductFacts:
        """One product by id."""
        row = self.index.position.get(int(product_id))
        if row is None:
            raise NotFoundError(
                f"No product with id {product_id}.", field="product_id", value=product_id
            )
        return self.index.products[row]

    def find_product(self, ref: str | int) -> ProductFacts:
        """A product by id or by (fuzzy) "brand name" text."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            return self.product(int(ref))
        text = str(ref).strip()
        if not text:
            raise InvalidInputError.for_field("product", "a product id or name", ref)
        from lingxi.guide.inci import normalise_label

        want = normalise_label(text)
        choices = [normalise_label(f"{p.brand} {p.name}") for p in self.index.products]
        # Every word of the reference present: the shortest such product is the one meant.
        words = set(re.findall(r"\w+", want))
        exact = [i for i, c in enumerate(choices) if words <= set(re.findall(r"\w+", c))]
        if exact:
            return self.index.products[min(exact, key=lambda i: len(choices[i]))]
        best = process.extractOne(want, choices, scorer=fuzz.token_set_ratio)
        if best is None or best[1] < 80:
            raise NotFoundError(f"No product matches {text!r}.", field="product", value=text)
        return self.index.products[best[2]]

    def recommend(
        self,
        request: str | ProductQuery,
        *,
        k: int = 10,
        person: PersonContext | None = None,
    ) -> GuideResult:
        """Products that meet every constraint of the request, best first.

        Parameters
        ----------
        request
            Free text (English or Chinese) or an already parsed :class:`ProductQuery`.
        k
            How many items, 1 to :data:`MAX_K`.
        person
            What may be used about the person (consent already applied); ``None`` for anonymous.

        Raises
        ------
        InvalidInputError
            Bad text, budget or ``k`` (the message names the field).
        """
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InvalidInputError.for_field("k", f"an int in [1, {MAX_K}]", k)
        query = request if isinstance(request, ProductQuery) else self.parse(request)
        person = person or PersonContext()
        zh = query.language == "zh"
        note = replies.dermatologist_note(query) if query.medical_conditions else None
        cosmetic = query.category is not None or bool(query.include_ingredients or query.brands)
        if note and not cosmetic:
            return GuideResult(
                query=query,
                items=(),
                message=note,
                dermatologist_note=note,
            )
        # A consented profile's avoid-list is a hard constraint like the request's own.
        effective = query
        extra_avoid = tuple(a for a in person.avoid_ingredients if a in self.index.ingredient_names)
        if extra_avoid:
            from dataclasses import replace

            effective = replace(
                query,
                exclude_ingredients=tuple(
                    sorted(set(query.exclude_ingredients) | set(extra_avoid))
                ),
                include_ingredients=tuple(
                    i for i in query.include_ingredients if i not in extra_avoid
                ),
            )
        mask, applied, relaxed = self.index.filter_with_relaxation(effective, minimum=1)
        rows = np.flatnonzero(mask)
        unlisted_rows = np.flatnonzero(self.index.unlisted_mask(applied))
        unlisted = self._ranked(query, unlisted_rows, person, relaxed, k=k)
        if rows.size == 0:
            message = (
                "没有符合要求的产品，放宽条件后仍然没有。"
                if zh
                else "Nothing in the catalogue meets that request, even after relaxing it."
            )
            if unlisted:
                message = replies.message(0, 0, relaxed, unlisted_rows.size, query)
            return GuideResult(
                query=query,
                items=(),
                relaxed=relaxed,
                message=message,
                dermatologist_note=note,
                ingredients_not_listed=unlisted,
                conversion=replies.conversion_note(query),
            )
        items = self._ranked(query, rows, person, relaxed, k=k)
        # The one filter's promise, held to the reference check item by item.
        for item in items:
            assert satisfies(self.product(item.id), applied), item.id
        message = replies.message(
            len(items), int(rows.size), relaxed, int(unlisted_rows.size), query
        )
        if note:
            message = f"{note} {message}"
        return GuideResult(
            query=query,
            items=items,
            relaxed=relaxed,
            message=message,
            dermatologist_note=note,
            personalised=bool(person.history or person.has_profile),
            ingredients_not_listed=unlisted,
            conversion=replies.conversion_note(query),
        )

    def _ranked(
        self,
        query: ProductQuery,
        rows: npt.NDArray[np.int64],
        person: PersonContext,
        relaxed: tuple[str, ...],
        *,
        k: int,
    ) -> tuple[Recommendation, ...]:
        """The best ``k`` of catalogue ``rows`` for ``query`` and ``person``."""
        if rows.size == 0:
            return ()
        scores, personal, _profile = self._score(query, rows, person)
        if scores.size > k:
            top = np.argpartition(-scores, k - 1)[:k]
            order = top[np.argsort(-scores[top], kind="stable")]
        else:
            order = np.argsort(-scores, kind="stable")
        # The history is named in the reasons of the items it lifted most.
        cut = max(0.25, 0.8 * float(personal[order].max())) if order.size else 1.0
        return tuple(
            self._recommendation(
                int(rows[o]),
                float(scores[o]),
                query,
                relaxed,
                person,
                float(personal[o]) >= cut,
            )
            for o in order
        )

    def compare(
        self,
        a: str | int,
        b: str | int,
        *,
        need: str | ProductQuery | None = None,
        language: Literal["en", "zh"] | None = None,
    ) -> Comparison:
        """Line up two products and say which fits ``need`` better, and why.

        ``language`` (default: the need's) is the page's: with no need typed, a Chinese page
        still gets its prices in ¥, its verdict and its ingredient names in Chinese.
        """
        pa, pb = self.find_product(a), self.find_product(b)
        if pa.id == pb.id:
            raise InvalidInputError.for_field("b", "a different product from a", b)
        query = (
            need
            if isinstance(need, ProductQuery)
            else self.parse(need)
            if need
            else ProductQuery(
                text="",
                language=language or "en",
                currency="CNY" if language == "zh" else "USD",
            )
        )
        zh = (language or query.language) == "zh"

        def names(found: frozenset[str]) -> str:
            if zh:
                return "、".join(sorted(replies.zh_name(c) for c in found)) or "-"
            return ", ".join(sorted(found)) or "-"

        only_a = tuple(sorted(pa.canonical_ingredients - pb.canonical_ingredients))
        only_b = tuple(sorted(pb.canonical_ingredients - pa.canonical_ingredients))
        rows = (
            (
                "price",
                replies.price_text(pa.price_minor, query, rate=self.parse_params.cny_per_usd),
                replies.price_text(pb.price_minor, query, rate=self.parse_params.cny_per_usd),
            ),
            ("rating", replies.fmt_rating(pa.rating), replies.fmt_rating(pb.rating)),
            ("category", pa.category, pb.category),
            ("skin_types", ", ".join(pa.skin_types) or "-", ", ".join(pb.skin_types) or "-"),
            (
                "notable_ingredients",
                names(pa.canonical_ingredients),
                names(pb.canonical_ingredients),
            ),
        )
        fa, fb = replies.fit_facts(pa, query), replies.fit_facts(pb, query)
        score_a = sum(ok for ok, _ in fa)
        score_b = sum(ok for ok, _ in fb)
        better: ProductFacts | None
        if score_a != score_b:
            better = pa if score_a > score_b else pb
            why = "constraints"
        elif (pa.rating or 0) != (pb.rating or 0):
            better = pa if (pa.rating or 0) > (pb.rating or 0) else pb
            why = "rating"
        elif pa.price_minor != pb.price_minor:
            better = pa if pa.price_minor < pb.price_minor else pb
            why = "price"
        else:
            better, why = None, "tie"
        verdict = replies.verdict(pa, pb, better, why, fa, fb, query)
        return Comparison(
            a=pa,
            b=pb,
            need=query,
            rows=rows,
            only_in_a=only_a,
            only_in_b=only_b,
            better=better.id if better else None,
            verdict=verdict,
        )

    def person(self, db: Database, *, customer_id: int) -> PersonContext:
        """What may be used about ``customer_id``: the stated profile only under the PROFILE
        consent, the interaction history only under PERSONALISATION; nothing otherwise."""
        from lingxi.data.repos import guide as guide_repo, identity, orders as orders_repo

        with db.session() as s:
            member = identity.get_member(s, customer_id=customer_id)  # NotFoundError if unknown
            context = PersonContext(customer_id=customer_id)
            if identity.has_consent(s, customer_id=customer_id, purpose="profile"):
                prof = identity.get_profile(s, customer_id=customer_id)
                context = PersonContext(
                    customer_id=customer_id,
                    skin_types=tuple(prof.skin_types),
                    concerns=tuple(prof.concerns),
                    brands=tuple(prof.brands),
                    avoid_ingredients=tuple(prof.avoid_ingredients),
                )
            if identity.has_consent(s, customer_id=customer_id, purpose="personalisation"):
                events = guide_repo.interaction_events(s, customer_id=customer_id)
                history = tuple(
                    HistoryEvent(pid, kind, value, at) for pid, kind, value, at in events
                )
                mine = (
                    orders_repo.list_orders(
                        s, household_id=member.household_id, customer_id=customer_id
                    )
                    if member.household_id is not None
                    else []
                )
                ordered = tuple(
                    OrderedItem(int(line["product_id"]), o.id, o.created_at)
                    for o in mine
                    if o.status != "cancelled"
                    for line in o.lines
                )
                context = PersonContext(
                    customer_id=customer_id,
                    skin_types=context.skin_types,
                    concerns=context.concerns,
                    brands=context.brands,
                    avoid_ingredients=context.avoid_ingredients,
                    history=history,
                    ordered=ordered,
                )
        return context

    def record_interaction(
        self,
        db: Database,
        *,
        customer_id: int,
        product_id: int,
        kind: str,
        value: float | None = None,
    ) -> None:
        """Store a view, cart, purchase or rating; the person's next recommendations use it at
        once (scoring reads the history on each call, no retrain needed)."""
        from lingxi.data.repos import catalog, identity

        self.product(product_id)
        with db.session() as s:
            identity.get_member(s, customer_id=customer_id)
            catalog.add_interaction(
                s, customer_id=customer_id, product_id=product_id, kind=kind, value=value
            )

    def recommend_for(
        self, db: Database, request: str | ProductQuery, *, customer_id: int | None, k: int = 10
    ) -> GuideResult:
        """:meth:`recommend` for a stored customer, using only what their consents allow."""
        person = self.person(db, customer_id=customer_id) if customer_id is not None else None
        return self.recommend(request, k=k, person=person)

    def refit(self, sequences: Sequence[Sequence[int]]) -> None:
        """Retrain the personal model on new per-person product-id histories."""
        self.recommender, self.popularity = fit_personal(self.index, sequences)

    # ---------------------------------------------------------------------- internals

    def _history_profile(self, person: PersonContext) -> tuple[list[int], npt.NDArray[np.float32]]:
        rows: list[int] = []
        weights: list[float] = []
        n = len(person.history)
        for j, ev in enumerate(person.history):
            row = self.index.position.get(ev.product_id)
            if row is None:
                continue
            w = _KIND_WEIGHT.get(ev.kind, 1.0)
            if ev.kind == "rating" and ev.value is not None:
                w = max(ev.value - 3.0, 0.0)
            w *= math.exp(-(n - 1 - j) / self.params.history_decay)
            if w > 0:
                rows.append(row)
                weights.append(w)
        return rows, np.asarray(weights, dtype=np.float32)

    def _score(
        self, query: ProductQuery, rows: npt.NDArray[np.int64], person: PersonContext
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        p = self.params
        relevance = self.retriever.relevance(query.text, rows)
        score = p.relevance * relevance + p.rating * self._rating_score[rows]
        score += p.popularity * self.popularity[rows]
        personal = np.zeros(rows.size, dtype=np.float32)
        hist_rows, weights = self._history_profile(person)
        if hist_rows:
            # Collaborative signal (item-item model) plus content similarity to the history.
            content = (
                self.retriever.embeddings @ (weights @ self.retriever.embeddings[hist_rows])
            )[rows]
            # e5 cosines sit in a narrow band; only the spread among candidates is informative.
            lo, hi = float(content.min()), float(content.max())
            content = (content - lo) / (hi - lo) if hi > lo else np.zeros_like(content)
            personal = content.astype(np.float32)
            if self.recommender is not None and self.recommender.model.B_ is not None:
                collab = self._collab(hist_rows, weights, rows)
                top = float(np.abs(collab).max()) if collab.size else 0.0
                if top > 0:
                    personal = 0.5 * personal + 0.5 * np.clip(collab / top, 0, 1)
            seen = np.isin(rows, hist_rows)
            personal[seen] *= 0.5  # already known items are less of a discovery
            score += p.personal * personal
        profile = np.zeros(rows.size, dtype=np.float32)
        if person.has_profile:
            if person.skin_types:
                idx = [
                    ["combination", "dry", "normal", "oily", "sensitive"].index(t)
                    for t in person.skin_types
                    if t in ("combination", "dry", "normal", "oily", "sensitive")
                ]
                if idx:
                    profile += self.index.skin[rows][:, idx].mean(axis=1).astype(np.float32)
            if person.brands:
                codes = [
                    self.index.brands.index(b) for b in person.brands if b in self.index.brands
                ]
                profile += np.isin(self.index.brand[rows], codes).astype(np.float32) * 0.5
            if person.concerns:
                # Stated concerns (acne, redness, ...) match product text lexically.
                profile += 0.5 * self.retriever.lexical(" ".join(person.concerns), rows)
            score += p.profile * profile
        return score.astype(np.float32), personal, profile

    def _collab(
        self, hist_rows: list[int], weights: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Item-item model scores of ``rows`` for a weighted history (0 where unknown)."""
        assert self.recommender is not None and self.recommender.model.B_ is not None
        col = self.recommender.column
        h = col[np.asarray(hist_rows)]
        keep = h >= 0
        out = np.zeros(rows.size, dtype=np.float32)
        if not keep.any():
            return out
        c = col[rows]
        known = c >= 0
        B = self.recommender.model.B_
        out[known] = weights[keep] @ B[h[keep]][:, c[known]]
        return out

    def _recommendation(
        self,
        row: int,
        score: float,
        query: ProductQuery,
        relaxed: tuple[str, ...],
        person: PersonContext,
        personal: bool,
    ) -> Recommendation:
        prod = self.index.products[row]
        link = self._history_link(prod, person, zh=query.language == "zh") if personal else None
        return Recommendation(
            id=prod.id,
            name=prod.name,
            brand=prod.brand,
            price_minor=prod.price_minor,
            category=prod.category,
            skin_types=prod.skin_types,
            score=score,
            reason=replies.reason(prod, query, relaxed, link),
            rating=prod.rating,
            display_price=replies.price_text(
                prod.price_minor, query, rate=self.parse_params.cny_per_usd
            ),
            category_flag=prod.category_flag,
            ingredients_listed=prod.ingredients_listed,
        )

    def _history_link(self, prod: ProductFacts, person: PersonContext, *, zh: bool) -> str | None:
        """The ordered product most like ``prod``, named with its order's number and date."""
        best: tuple[float, OrderedItem] | None = None
        target = self.index.position[prod.id]
        for item in person.ordered:
            row = self.index.position.get(item.product_id)
            if row is None or item.product_id == prod.id:
                continue
            sim = float(self.retriever.embeddings[row] @ self.retriever.embeddings[target])
            if self.recommender is not None:
                sim += float(
                    self._collab([row], np.ones(1, dtype=np.float32), np.array([target]))[0]
                )
            if best is None or sim > best[0]:
                best = (sim, item)
        if best is None:
            return None
        item = best[1]
        other = self.index.products[self.index.position[item.product_id]]
        day = item.ordered_at
        if zh:
            return f"和你{day.month}月{day.day}日订单 #{item.order_id} 里的 {other.brand} {other.name} 很搭"
        return (
            f"goes with the {other.brand} {other.name} of your order #{item.order_id}"
            f" ({day.day} {day:%B})"
        )
