"""Text -> items: do the products the guide returns meet the constraints the person stated?

Set: ``benchmarks/data/guide/constraints_{en,zh}.tsv`` (hand-written requests with the hard
constraints a careful reader takes from them; see the README there). Each request goes through
``ShoppingGuide.recommend(text, k=10)``, the call the CLI, the API and the chat all make, and every
returned item is checked against its catalogue row and the *labelled* constraints (not the
parser's reading):

* constraint precision: share of returned items meeting every labelled constraint;
* misrepresented: share of returned items breaking a labelled constraint that the reply does not
  name in ``relaxed`` (the reply presents them as fitting);
* non-empty: share of requests with at least one item;
* requests parsed exactly, and the misrepresented items among them (the filter's own errors;
  the rest come from needs the parser misread).

An ingredient constraint (to avoid or to want) is met only by a product whose ingredient list is
known. CNY amounts are converted at :data:`CNY_PER_USD`, the guide's default rate.

Run: ``.venv/bin/python -m benchmarks bench_guide_constraints [--suffix _before]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import write_result
from lingxi.data.repos.demo import demo_file
from lingxi.guide import ProductFacts, ProductQuery, ShoppingGuide
from lingxi.guide.catalogue import read_catalogue_csv
from lingxi.guide.retrieval import embed_passages, product_passage, shipped_embeddings

DATA = Path(__file__).resolve().parent / "data" / "guide"
CNY_PER_USD = 7.2
K = 10


@dataclass(frozen=True)
class Gold:
    """The hard constraints a request states."""

    text: str
    category: str | None
    skin_types: frozenset[str]
    min_minor: int | None
    max_minor: int | None
    brands: frozenset[str]
    exclude_brands: frozenset[str]
    exclude_ingredients: frozenset[str]
    include_ingredients: frozenset[str]


def _minor(amount: str, currency: str) -> int | None:
    if not amount:
        return None
    value = float(amount) / (CNY_PER_USD if currency == "CNY" else 1.0)
    return round(round(value, 2) * 100)


def load(path: Path) -> list[Gold]:
    """The labelled requests of one TSV file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        text, cat, skin, lo, hi, cur, brands, xbrands, exc, inc = (line.split("\t") + [""] * 10)[
            :10
        ]

        def items(s: str) -> frozenset[str]:
            return frozenset(x for x in s.split(";") if x)

        out.append(
            Gold(
                text=text,
                category=cat or None,
                skin_types=items(skin),
                min_minor=_minor(lo, cur),
                max_minor=_minor(hi, cur),
                brands=items(brands),
                exclude_brands=items(xbrands),
                exclude_ingredients=items(exc),
                include_ingredients=items(inc),
            )
        )
    return out


def broken(p: ProductFacts, g: Gold) -> set[str]:
    """The names (as in ``relaxed``) of the labelled constraints ``p`` breaks."""
    out = set()
    if g.category and p.category != g.category:
        out.add("category")
    if not g.skin_types <= set(p.skin_types):
        out.add("skin_types")
    if (g.min_minor is not None and p.price_minor < g.min_minor) or (
        g.max_minor is not None and p.price_minor > g.max_minor
    ):
        out.add("price")
    if g.brands and p.brand not in g.brands:
        out.add("brands")
    if p.brand in g.exclude_brands:
        out.add("exclude_brands")
    known = bool(p.ingredients)
    if g.exclude_ingredients and (not known or g.exclude_ingredients & p.canonical_ingredients):
        out.add("exclude_ingredients")
    if g.include_ingredients and (
        not known or not g.include_ingredients <= p.canonical_ingredients
    ):
        out.add("include_ingredients")
    return out


def _parsed_as(q: ProductQuery, g: Gold) -> bool:
    """True when the parser read exactly the labelled constraints (then a misrepresented item
    would be the filter's fault, not the parser's)."""
    return (
        q.category == g.category
        and set(q.skin_types) == g.skin_types
        and q.min_price_minor == g.min_minor
        and q.max_price_minor == g.max_minor
        and set(q.brands) == g.brands
        and set(q.exclude_brands) == g.exclude_brands
        and set(q.exclude_ingredients) == g.exclude_ingredients
        and set(q.include_ingredients) == g.include_ingredients
    )


def guide() -> tuple[ShoppingGuide, dict[int, ProductFacts]]:
    """A guide over the demo catalogue (shipped embeddings), and its products by id."""
    products = read_catalogue_csv(demo_file("cosmetics.csv"))
    texts = [product_passage(p) for p in products]
    found = shipped_embeddings(texts)
    missing = [i for i in range(len(texts)) if i not in found]
    if missing:
        fresh = embed_passages([texts[i] for i in missing])
        found.update({i: fresh[j] for j, i in enumerate(missing)})
    emb = np.vstack([found[i] for i in range(len(texts))]).astype(np.float32)
    return ShoppingGuide.from_products(products, embeddings=emb), {p.id: p for p in products}


def score(g: ShoppingGuide, by_id: dict[int, ProductFacts], rows: list[Gold]) -> dict[str, Any]:
    """The figures for one language."""
    n_items = ok = misrep = nonempty = bad_requests = exact = misrep_exact = 0
    breaks: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for row in rows:
        result = g.recommend(row.text, k=K)
        parsed_right = _parsed_as(result.query, row)
        exact += parsed_right
        if result.items:
            nonempty += 1
        any_bad = False
        for item in result.items:
            n_items += 1
            b = broken(by_id[item.id], row)
            for name in b:
                breaks[name] = breaks.get(name, 0) + 1
            if not b:
                ok += 1
                continue
            any_bad = True
            if b - set(result.relaxed):
                misrep += 1
                misrep_exact += parsed_right
        if any_bad:
            bad_requests += 1
            if len(examples) < 8:
                examples.append(
                    {
                        "text": row.text,
                        "relaxed": list(result.relaxed),
                        "breaking": sum(1 for i in result.items if broken(by_id[i.id], row)),
                        "items": len(result.items),
                    }
                )
    return {
        "requests": len(rows),
        "items": n_items,
        "constraint_precision": round(ok / n_items, 4) if n_items else None,
        "misrepresented_rate": round(misrep / n_items, 4) if n_items else None,
        "non_empty_rate": round(nonempty / len(rows), 4),
        "requests_with_a_breaking_item": bad_requests,
        "requests_parsed_exactly": exact,
        "misrepresented_items_when_parsed_exactly": misrep_exact,
        "breaks_by_constraint": dict(sorted(breaks.items())),
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_guide_constraints")
    ap.add_argument("--suffix", default="", help="appended to the result file's name")
    args = ap.parse_args(argv or [])
    t0 = time.perf_counter()
    g, by_id = guide()
    built = time.perf_counter() - t0
    out: dict[str, Any] = {"k": K, "cny_per_usd": CNY_PER_USD, "build_s": round(built, 1)}
    for lang in ("en", "zh"):
        t = time.perf_counter()
        out[lang] = score(g, by_id, load(DATA / f"constraints_{lang}.tsv"))
        out[lang]["seconds"] = round(time.perf_counter() - t, 1)
    write_result(f"bench_guide_constraints{args.suffix}", out)


if __name__ == "__main__":
    main()
