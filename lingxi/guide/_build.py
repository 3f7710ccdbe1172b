"""Building the guide's index from the data layer: the catalogue part (products, cached
embeddings) and the personal part (the model fitted on the interactions), each on its own."""

from __future__ import annotations

import logging

import numpy as np

from lingxi.data import Database
from lingxi.errors import NotFoundError
from lingxi.guide.catalogue import CatalogueIndex, facts_from_record
from lingxi.guide.index_cache import BuiltIndex, CatalogueParts, PersonalParts
from lingxi.guide.personal import fit_personal
from lingxi.guide.retrieval import (
    EMBEDDING_MODEL,
    HybridRetriever,
    embed_passages,
    product_passage,
    shipped_embeddings,
)

__all__ = ["build_catalogue", "build_from_database", "build_personal"]

logger = logging.getLogger(__name__)


def build_from_database(db: Database) -> BuiltIndex:
    """The whole index over the stored catalogue and interactions."""
    catalogue = build_catalogue(db)
    return BuiltIndex.of(catalogue, build_personal(db, catalogue.index))


def build_catalogue(db: Database) -> CatalogueParts:
    """The catalogue columns and the retriever over the stored catalogue; embeddings missing
    from ``product_embedding`` are taken from the shipped file or computed, and stored for next
    time."""
    from lingxi.data.repos import catalog, guide as guide_repo

    with db.session() as s:
        views = catalog.list_products(s)
        if not views:
            raise NotFoundError(
                "The catalogue is empty: run `lingxi demo load` first.", field="catalogue"
            )
        cached = guide_repo.get_embeddings(
            s, model=EMBEDDING_MODEL, product_ids=[v.id for v in views]
        )
    products = [
        facts_from_record(
            id=v.id,
            name=v.name,
            brand=v.brand,
            category=v.category,
            price_minor=v.price_minor,
            rating=v.rating,
            skin_types=v.skin_types,
            ingredients=v.ingredients,
            ingredients_raw=v.ingredients_raw,
        )
        for v in views
    ]
    missing = [p for p in products if p.id not in cached]
    if missing:
        shipped = shipped_embeddings([product_passage(p) for p in missing])
        if shipped:
            with db.session() as s:
                found = {missing[i].id: v for i, v in shipped.items()}
                guide_repo.put_embeddings(s, model=EMBEDDING_MODEL, vectors=found)
            cached.update(found)
            missing = [p for p in products if p.id not in cached]
    if missing:
        logger.info("Embedding %d products (cached for next time).", len(missing))
        fresh = embed_passages([product_passage(p) for p in missing])
        new = {p.id: fresh[i] for i, p in enumerate(missing)}
        with db.session() as s:
            guide_repo.put_embeddings(s, model=EMBEDDING_MODEL, vectors=new)
        cached.update(new)
    embeddings = np.vstack([cached[p.id] for p in products]).astype(np.float32)
    index = CatalogueIndex(products)
    return CatalogueParts(index, HybridRetriever(index.products, embeddings=embeddings))


def build_personal(db: Database, index: CatalogueIndex) -> PersonalParts:
    """The item-item model and popularity fitted on the stored interactions, over ``index``."""
    from lingxi.data.repos import guide as guide_repo

    with db.session() as s:
        histories = guide_repo.interaction_sequences(s)
    sequences = [
        [pid for pid, kind, _v in events if kind != "rating"] for events in histories.values()
    ]
    recommender, popularity = fit_personal(index, sequences)
    return PersonalParts(recommender, popularity)
