"""The one e5 adapter: query and passage embeddings, one query or a batch."""

from __future__ import annotations

import threading

import numpy as np

from lingxi import embeddings
from lingxi.guide import retrieval
from lingxi.home import _embed


def test_one_query_matches_the_same_text_in_a_batch() -> None:
    """A single query (encoded on one thread) equals its row of a batch, unit length."""
    texts = ["oily skin, cleanser under $30", "打开客厅的灯"]
    batch = embeddings.embed_queries(texts)
    assert batch.shape == (2, embeddings.DIM)
    for i, text in enumerate(texts):
        one = embeddings.embed_query(text)
        assert one.shape == (embeddings.DIM,)
        assert abs(float(np.linalg.norm(one)) - 1.0) < 1e-3
        assert float(one @ batch[i]) > 0.999


def test_query_and_passage_prefixes_differ() -> None:
    """``query:`` and ``passage:`` embeddings of one text are close but not the same."""
    text = "CLINIQUE Moisture Surge. Moisturizer for dry skin."
    q = embeddings.embed_query(text)
    p = embeddings.embed_passages([text])[0]
    assert 0.8 < float(q @ p) < 0.999


def test_a_query_in_one_thread_leaves_another_threads_batch_alone() -> None:
    """Queries from several threads at once give the same vectors as one after the other."""
    texts = [f"moisturiser number {i} for dry skin" for i in range(6)]
    embeddings.clear_query_cache()
    alone = [embeddings.embed_query(t).copy() for t in texts]
    embeddings.clear_query_cache()
    out: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        out[i] = (
            embeddings.embed_query(texts[i]) if i % 2 else embeddings.embed_queries([texts[i]])[0]
        )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vec in enumerate(alone):
        assert float(vec @ out[i]) > 0.999


def test_guide_and_home_share_the_adapter() -> None:
    """The guide and the home name one encoder and one model key."""
    assert retrieval.embed_query is embeddings.embed_query
    assert retrieval.embed_passages is embeddings.embed_passages
    assert _embed.embed_one is embeddings.embed_query
    assert _embed.embed is embeddings.embed_queries
    assert retrieval.EMBEDDING_MODEL == _embed.EMBEDDING_MODEL == embeddings.EMBEDDING_MODEL
