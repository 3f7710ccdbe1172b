"""City import: `lingxi city import` on Monaco (.osm.pbf) and West Oakland (.osm.bz2).

Each extract is imported by the real CLI in a fresh process under ``/usr/bin/time -v`` (wall
time and peak RSS of the whole command, Python start-up included); the build time the command
reports itself (reading, keeping the connected roads) and the time to read the cached network
back are recorded too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import SHARED_DATA, write_result
from lingxi.dispatch.roadnet import RoadNetwork

EXTRACTS = {
    "monaco": SHARED_DATA / "osm" / "monaco.osm.pbf",
    "west-oakland": SHARED_DATA / "osm" / "West-Oakland.osm.bz2",
}


def _measure(name: str, source: Path, data_dir: Path) -> dict[str, object]:
    lingxi = str(Path(sys.executable).with_name("lingxi"))
    env = {**os.environ, "LINGXI_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        ["/usr/bin/time", "-v", lingxi, "city", "import", str(source), "--name", name, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr)
    parts = [float(p) for p in wall[1].split(":")] if wall else [0.0]
    wall_s = sum(p * 60**k for k, p in enumerate(reversed(parts)))
    doc = json.loads(done.stdout)
    started = time.perf_counter()
    RoadNetwork.load(data_dir / "cities" / f"{name}.npz")
    load_s = time.perf_counter() - started
    return {
        "source": source.name,
        "source_bytes": source.stat().st_size,
        "nodes": doc["nodes"],
        "arcs": doc["edges"],
        "build_s": doc["import_s"],
        "command_wall_s": round(wall_s, 2),
        "peak_rss_mb": round(int(rss[1]) / 1024, 1) if rss else None,
        "cache_bytes": (data_dir / "cities" / f"{name}.npz").stat().st_size,
        "cache_load_s": round(load_s, 4),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cities = {name: _measure(name, src, Path(tmp)) for name, src in EXTRACTS.items()}
    write_result("city_import", {"cities": cities})


if __name__ == "__main__":
    main()
