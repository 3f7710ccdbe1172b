"""The shopping guide: parse a need, filter exactly, rank personally, explain, compare.

The assistant and the interfaces use this facade::

    guide = ShoppingGuide.from_database(db)        # or ShoppingGuide.from_products(facts)
    guide.parse("oily skin, cleanser under $30")   # -> ProductQuery
    guide.recommend_for(db, "油皮洗面奶", customer_id=3, k=5)   # -> GuideResult (consent-aware)
    guide.compare("12", "CLINIQUE Moisture Surge", need="dry skin")   # -> Comparison
    guide.record_interaction(db, customer_id=3, product_id=12, kind="purchase")
"""

from lingxi.guide.catalogue import RELAXATION_ORDER as RELAXATION_ORDER
from lingxi.guide.catalogue import satisfies as satisfies
from lingxi.guide.constraints import ParseParams as ParseParams
from lingxi.guide.constraints import parse_need as parse_need
from lingxi.guide.guide import (
    MAX_K as MAX_K,
)
from lingxi.guide.guide import (
    HistoryEvent as HistoryEvent,
)
from lingxi.guide.guide import (
    PersonContext as PersonContext,
)
from lingxi.guide.guide import (
    RankingParams as RankingParams,
)
from lingxi.guide.guide import (
    ShoppingGuide as ShoppingGuide,
)
from lingxi.guide.schemas import (
    CATEGORIES as CATEGORIES,
)
from lingxi.guide.schemas import (
    SKIN_TYPES as SKIN_TYPES,
)
from lingxi.guide.schemas import (
    Comparison as Comparison,
)
from lingxi.guide.schemas import (
    GuideResult as GuideResult,
)
from lingxi.guide.schemas import (
    ProductFacts as ProductFacts,
)
from lingxi.guide.schemas import (
    ProductQuery as ProductQuery,
)
from lingxi.guide.schemas import (
    Recommendation as Recommendation,
)

__all__ = [
    "CATEGORIES",
    "MAX_K",
    "RELAXATION_ORDER",
    "SKIN_TYPES",
    "Comparison",
    "GuideResult",
    "HistoryEvent",
    "ParseParams",
    "PersonContext",
    "ProductFacts",
    "ProductQuery",
    "RankingParams",
    "Recommendation",
    "ShoppingGuide",
    "parse_need",
    "satisfies",
]
