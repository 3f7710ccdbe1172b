"""A Ray head on loopback for the scale-out tests (started once, stopped after)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lingxi import compute


@pytest.fixture(scope="session")
def ray_head() -> Iterator[compute.LocalHead]:
    """``ray start --head`` on 127.0.0.1 with 2 CPUs and no dashboard; only its processes are
    stopped afterwards."""
    pytest.importorskip("ray")
    head = compute.start_local_head(num_cpus=2)
    try:
        yield head
    finally:
        head.stop()
