"""`/api/products/{product_id}`: one product as a shopper's product page shows it (every signed-in
member). The image is ``/api/products/{sku}/image`` (:mod:`lingxi.api.routes.catalogue`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.schemas_shop import (
    AskedIngredientPublic,
    LabelEntryPublic,
    PricePublic,
    ProductPublic,
    ReviewsPublic,
    SkinFlagPublic,
)
from lingxi.guide.importer import minor_exponent
from lingxi.guide.product_page import product_page

__all__ = ["router"]

router = APIRouter(prefix="/api/products", tags=["products"])

ProductIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Product id")]


@router.get("/{product_id}")
def get_product(
    product_id: ProductIdPath,
    member: CurrentMember,
    db: DatabaseDep,
    settings: SettingsDep,
    lang: Annotated[
        Literal["en", "zh"], Query(description="The page's language: zh adds the ¥ price.")
    ] = "en",
    ingredients: Annotated[
        str,
        Query(
            max_length=400,
            pattern=r"^[a-z0-9 ,-]*$",
            description="Canonical ingredients the person asked about, comma-separated "
            "(alcohol,niacinamide): the label marks them.",
        ),
    ] = "",
) -> ProductPublic:
    """One product: price in the shopper's currency, rating with review count, the label with
    the asked-about ingredients marked, every skin-type flag and the image's address."""
    page = product_page(
        db,
        product_id,
        asked=tuple(i for i in ingredients.split(",") if i.strip()),
        language=lang,
        cny_per_usd=settings.guide.cny_per_usd,
    )
    zh = page.local_price is not None
    return ProductPublic(
        id=page.id,
        sku=page.sku,
        brand=page.brand,
        name=page.name,
        category=page.category,
        price=PricePublic(
            amount=page.price_minor / 10 ** minor_exponent(page.currency),
            amount_minor=page.price_minor,
            currency=page.currency,
            display=page.display_price,
            local_amount=page.local_price,
            local_currency="CNY" if zh else None,
            cny_per_usd=page.cny_per_usd,
        ),
        rating=page.rating,
        reviews=(
            ReviewsPublic(
                count=page.reviews.count, rating=page.reviews.rating, source=page.reviews.source
            )
            if page.reviews
            else None
        ),
        skin_types=[SkinFlagPublic(skin_type=s, suitable=ok) for s, ok in page.skin_types],
        ingredients=[LabelEntryPublic(name=e.name, asked=e.asked) for e in page.ingredients],
        asked=[
            AskedIngredientPublic(canonical=a.canonical, label=a.label, present=a.present)
            for a in page.asked
        ],
        image_src=page.image_src,
        in_stock=None if page.stock is None else page.stock > 0,
    )
