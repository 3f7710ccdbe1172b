"""kill -9 of an outbox consumer between applying an event and marking it processed."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lingxi.data import Database
from lingxi.data.repos import events

ROOT = Path(__file__).resolve().parents[2]


def _consume(url: str, log: Path, die_at: int = 0) -> int:
    cmd = [sys.executable, "-m", "tests.faults.worker_outbox", url, str(log)]
    if die_at:
        cmd += ["--die-at", str(die_at)]
    return subprocess.run(cmd, cwd=ROOT, timeout=120, check=False).returncode


@pytest.mark.slow
def test_outbox_survives_kill_between_handling_and_marking(db: Database, tmp_path: Path) -> None:
    """Events 1-4 are applied and marked; the consumer dies while applying 5. After a restart
    event 5 is delivered again (at least once), and every event's effect exists exactly once."""
    with db.session() as s:
        ids = [events.emit(s, topic="order.x", payload={"n": n}) for n in range(1, 9)]
    url = db.engine.url.render_as_string(hide_password=False)
    log = tmp_path / "deliveries.log"

    assert _consume(url, log, die_at=5) == -signal.SIGKILL
    with db.session() as s:
        left = [e.id for e in events.pending(s, consumer="courier", topics=("order.x",))]
    assert left == ids[4:]  # the killed transaction took its effect and its mark with it

    assert _consume(url, log) == 0
    deliveries = Counter(int(line) for line in log.read_text().split())
    assert set(deliveries) == set(ids)  # every event delivered
    assert deliveries[ids[4]] == 2 and all(deliveries[i] == 1 for i in ids if i != ids[4])
    with db.session() as s:
        assert events.pending(s, consumer="courier", topics=("order.x",)) == []
        effects = Counter(
            e.payload["of"] for e in events.pending(s, consumer="audit", topics=("effect.applied",))
        )
    assert effects == Counter(ids)  # applied once each, the crashed one included
