"""The shopping guide: parse a need, filter exactly, rank personally, explain, compare.

The assistant and the interfaces use this facade::

    guide = ShoppingGuide.from_database(db)        # or ShoppingGuide.from_products(facts)
    guide.parse("oily skin, cleanser under $30")   # -> ProductQuery
    guide.recommend_for(db, "油皮洗面奶", customer_id=3, k=5)   # -> GuideResult (consent-aware)
    guide.compare("12", "CLINIQUE Moisture Surge", need="dry skin")   # -> Comparison
    guide.record_interaction(db, customer_id=3, product_id=12, kind="purchase")
"""

from typing import TYPE_CHECKING

# Loaded on first use: parsing a need should not import the ranker's numpy, SciPy and models.
if TYPE_CHECKING:
    from lingxi.guide.catalogue import RELAXATION_ORDER as RELAXATION_ORDER, satisfies as satisfies
    from lingxi.guide.constraints import ParseParams as ParseParams, parse_need as parse_need
    from lingxi.guide.guide import (
        MAX_K as MAX_K,
        HistoryEvent as HistoryEvent,
        OrderedItem as OrderedItem,
        PersonContext as PersonContext,
        RankingParams as RankingParams,
        ShoppingGuide as ShoppingGuide,
    )
    from lingxi.guide.product_page import ProductPage as ProductPage, product_page as product_page
    from lingxi.guide.schemas import (
        CATEGORIES as CATEGORIES,
        SKIN_TYPES as SKIN_TYPES,
        Comparison as Comparison,
        GuideResult as GuideResult,
        ProductFacts as ProductFacts,
        ProductQuery as ProductQuery,
        Recommendation as Recommendation,
    )
else:
    from lingxi._lazy import exports

    __getattr__, __dir__ = exports(
        __name__,
        {
            "lingxi.guide.catalogue": ["RELAXATION_ORDER", "satisfies"],
            "lingxi.guide.constraints": ["ParseParams", "parse_need"],
            "lingxi.guide.guide": [
                "MAX_K",
                "HistoryEvent",
                "OrderedItem",
                "PersonContext",
                "RankingParams",
                "ShoppingGuide",
            ],
            "lingxi.guide.product_page": ["ProductPage", "product_page"],
            "lingxi.guide.schemas": [
                "CATEGORIES",
                "SKIN_TYPES",
                "Comparison",
                "GuideResult",
                "ProductFacts",
                "ProductQuery",
                "Recommendation",
            ],
        },
    )

__all__ = [
    "CATEGORIES",
    "MAX_K",
    "RELAXATION_ORDER",
    "SKIN_TYPES",
    "Comparison",
    "GuideResult",
    "HistoryEvent",
    "OrderedItem",
    "ParseParams",
    "PersonContext",
    "ProductFacts",
    "ProductPage",
    "ProductQuery",
    "RankingParams",
    "Recommendation",
    "ShoppingGuide",
    "parse_need",
    "product_page",
    "satisfies",
]
