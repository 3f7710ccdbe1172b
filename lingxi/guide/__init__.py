"""The shopping guide: parse a need, filter exactly, rank personally, explain, compare."""

from lingxi.guide.constraints import ParseParams as ParseParams
from lingxi.guide.constraints import parse_need as parse_need
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
    "SKIN_TYPES",
    "Comparison",
    "GuideResult",
    "ParseParams",
    "ProductFacts",
    "ProductQuery",
    "Recommendation",
    "parse_need",
]
