"""Helpers every benchmark uses: where the shared data is, and how results are written."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_BESIDE = ROOT.parent / "shared" / "data"
SHARED_DATA = Path(
    os.environ.get("LINGXI_SHARED_DATA")
    or (_BESIDE if _BESIDE.is_dir() else Path("/work/shared/data"))
)
RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with the machine and time, and return its path."""
    RESULTS.mkdir(exist_ok=True)
    doc = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpu_count": _cpus(),
            # at the end of the run; a busy 2-core machine makes timings noisy
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return path


def _cpus() -> int:
    return os.cpu_count() or 1
