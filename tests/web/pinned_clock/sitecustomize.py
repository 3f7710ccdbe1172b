"""Moves this Python process's clock by ``LINGXI_TEST_CLOCK_OFFSET_S`` seconds (time goes on).

tests/web/conftest.py puts this folder on ``PYTHONPATH`` for the shared browser-test server, so
`lingxi serve`, every `lingxi` command the tests run beside it and the solver processes it spawns
all read one pinned hour, whatever the hour of the run. Python imports ``sitecustomize`` at start.
"""

from __future__ import annotations

import os

_offset = os.environ.get("LINGXI_TEST_CLOCK_OFFSET_S")
if _offset:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(_offset)), tick=True).start()
