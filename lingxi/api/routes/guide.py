"""`/api/guide`: parse a need, recommend, compare two products, record feedback.

Every route acts for the signed-in member only: recommendations use their stored profile and
history only as far as their consents allow, and feedback is recorded under their own id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lingxi.api.deps import CurrentMember, DatabaseDep
from lingxi.api.schemas import Id
from lingxi.api.schemas_guide import (
    ComparisonPublic,
    FeedbackPublic,
    ParsedNeedPublic,
    RecommendationsPublic,
)
from lingxi.api.services import GuideDep
from lingxi.guide import MAX_K
from lingxi.guide.constraints import MAX_TEXT_CHARS

__all__ = ["router"]

router = APIRouter(prefix="/api/guide", tags=["guide"])

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The request.")]


class ParseBody(BaseModel):
    """A request in English or Chinese."""

    text: Text


class RecommendBody(BaseModel):
    """A request and how many products to return."""

    text: Text
    k: Annotated[int, Field(ge=1, le=MAX_K)] = 10


class CompareBody(BaseModel):
    """Two products (id or "brand name") and, optionally, the need to judge them against."""

    a: Annotated[str, Field(min_length=1, max_length=300)]
    b: Annotated[str, Field(min_length=1, max_length=300)]
    need: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    language: Literal["en", "zh"] | None = None
    """The page's language (default: the need's): names the ingredients and writes the verdict."""


class FeedbackBody(BaseModel):
    """A view, cart, purchase or rating (1-5) of a product by the signed-in member."""

    product_id: Id
    kind: Literal["view", "cart", "purchase", "rating"]
    value: Annotated[float, Field(ge=1, le=5)] | None = None


@router.post("/parse", response_model=ParsedNeedPublic)
def parse(body: ParseBody, member: CurrentMember, guide: GuideDep) -> dict[str, Any]:
    """The parsed need (the `lingxi guide parse --json` document)."""
    return guide.parse(body.text).to_dict()


@router.post("/recommend", response_model=RecommendationsPublic)
def recommend(
    body: RecommendBody, member: CurrentMember, guide: GuideDep, db: DatabaseDep
) -> dict[str, Any]:
    """Products meeting every constraint, ranked for the signed-in member, with reasons."""
    result = guide.recommend_for(db, body.text, customer_id=member.customer_id, k=body.k)
    doc = result.to_dict()
    doc["dermatologist_note"] = result.dermatologist_note
    doc["personalised"] = result.personalised
    return doc


@router.post("/compare", response_model=ComparisonPublic)
def compare(body: CompareBody, member: CurrentMember, guide: GuideDep) -> dict[str, Any]:
    """Two products side by side, and which fits the need better."""
    return guide.compare(body.a, body.b, need=body.need or None, language=body.language).to_dict()


@router.post("/feedback", status_code=201)
def feedback(
    body: FeedbackBody, member: CurrentMember, guide: GuideDep, db: DatabaseDep
) -> FeedbackPublic:
    """Record a view/cart/purchase/rating for the signed-in member; it shapes their next
    recommendations at once (if they consented to personalisation)."""
    guide.record_interaction(
        db,
        customer_id=member.customer_id,
        product_id=body.product_id,
        kind=body.kind,
        value=body.value,
    )
    return FeedbackPublic(recorded=True, product_id=body.product_id, kind=body.kind)
