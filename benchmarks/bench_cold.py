"""Cold starts: each command in a fresh process, against a named baseline in the same run.

Issue 19's targets (wall time of a new process, no warm server, 2 cores): ``lingxi --help``
< 0.3 s, ``guide parse`` < 0.5 s, ``home parse`` and ``home do`` < 1 s, ``guide recommend``
< 1.5 s (its index already stored), and ``lingxi serve`` answering ``/api/health`` < 5 s.

The baseline is a git commit (``--baseline``, default: where this branch left ``main``) checked
out into a temporary worktree and run by the same ``.venv`` with that tree first on
``PYTHONPATH``. Each tree gets its own demo database and data folder (``lingxi db upgrade``,
``lingxi demo load``, then one ``guide recommend`` that stores the guide's index, timed apart,
and one ``home parse`` and ``home do`` that keep the home's compiled templates, untimed).
Runs alternate between the trees, command by command, so both see the same machine load; the
medians of ``--runs`` runs (wall and CPU user+sys) are reported with the load average before
and after, and whether both trees printed the same thing.

    python -m benchmarks bench_cold [--runs 5] [--baseline REF] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, write_result

TARGETS_S = {
    "help": 0.3,
    "guide_parse": 0.5,
    "home_parse": 1.0,
    "home_do": 1.0,
    "guide_recommend": 1.5,
    "serve_health": 5.0,
}
COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "guide_parse": ["guide", "parse", "oily skin, cleanser under $30", "--json"],
    "home_parse": ["home", "parse", "turn on the kitchen light", "--json"],
    "home_do": ["home", "do", "turn on the kitchen light"],
    "guide_recommend": ["guide", "recommend", "oily skin, cleanser under $30", "--json"],
}
# What the console script does (`lingxi = "lingxi.cli:main"`), with the tree's own lingxi.
_ENTRY = "import sys; sys.argv[0] = 'lingxi'; from lingxi.cli import main; main()"


class Tree:
    """One source tree under test, with its own demo database and data folder."""

    def __init__(self, name: str, source: Path, scratch: Path, commit: str) -> None:
        self.name, self.source, self.commit = name, source, commit
        self.data = scratch / name
        self.data.mkdir(parents=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LINGXI_") and k != "VIRTUAL_ENV"
        }
        env.update(
            PYTHONPATH=str(source),
            LINGXI_DB__URL=f"sqlite:///{self.data / 'lingxi.db'}",
            LINGXI_DATA_DIR=str(self.data),
            PYTHONDONTWRITEBYTECODE="1",  # what compileall wrote is all there is, as on CI
        )
        self.env = env

    def argv(self, args: list[str]) -> list[str]:
        return [sys.executable, "-c", _ENTRY, *args]

    def prepare(self) -> float:
        """Compile, migrate, load the demo and store the guide's index; the index build's time."""
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", "lingxi"],
            cwd=self.source,
            check=True,
            capture_output=True,
        )
        where = subprocess.run(
            [sys.executable, "-c", "import lingxi; print(lingxi.__file__)"],
            env=self.env,
            cwd=self.data,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(str(self.source)):
            raise RuntimeError(f"{self.name}: lingxi imported from {where}, not {self.source}")
        for step in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(
                self.argv(step), env=self.env, cwd=self.data, check=True, capture_output=True
            )
        wall, _cpu, _out = self.timed(COMMANDS["guide_recommend"])
        # The home's compiled templates are kept under the data folder (where a tree keeps
        # them) by a first run, as the guide's index is: the timed runs start from there.
        for name in ("home_parse", "home_do"):
            self.timed(COMMANDS[name])
        return wall

    def timed(self, args: list[str]) -> tuple[float, float, str]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.run(self.argv(args), env=self.env, cwd=self.data, capture_output=True)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name}: lingxi {' '.join(args)} exited {proc.returncode}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, proc.stdout.decode("utf-8", "replace")

    def serve_health(self) -> tuple[float, float]:
        """Seconds from starting ``lingxi serve`` to ``/api/health`` answering 200."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        url = f"http://127.0.0.1:{port}/api/health"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            self.argv(["serve", "--port", str(port)]),
            env=self.env,
            cwd=self.data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while time.monotonic() - t0 < 120:
                try:
                    with urllib.request.urlopen(url, timeout=1) as answer:
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    time.sleep(0.05)
            else:
                raise RuntimeError(f"{self.name}: /api/health did not answer in 120 s")
            wall = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _row(walls: list[float], cpus: list[float], target: float) -> dict[str, Any]:
    return {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
        "target_s": target,
        "runs": len(walls),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_cold", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline",
        default=None,
        help="git commit to compare with (default: merge-base with main)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="time this tree only")
    args = parser.parse_args(argv or [])
    scratch = Path(tempfile.mkdtemp(prefix="lingxi-cold-"))
    head = _git("rev-parse", "--short", "HEAD")
    trees = [
        Tree(
            "current",
            ROOT,
            scratch,
            head + ("+dirty" if _git("status", "--porcelain", "-uno") else ""),
        )
    ]
    baseline_dir: Path | None = None
    try:
        if not args.no_baseline:
            ref = args.baseline or _git("merge-base", "HEAD", "main")
            commit = _git("rev-parse", "--short", ref)
            baseline_dir = scratch / "baseline-src"
            _git("worktree", "add", "--detach", str(baseline_dir), ref)
            trees.insert(0, Tree("baseline", baseline_dir, scratch, commit))
        result: dict[str, Any] = {
            "trees": {t.name: t.commit for t in trees},
            "first_recommend_s": {t.name: round(t.prepare(), 3) for t in trees},
            "load_before": [round(x, 2) for x in os.getloadavg()],
        }
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        outputs: dict[tuple[str, str], str] = {}
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                for tree in trees:
                    wall, cpu, out = tree.timed(command)
                    walls.setdefault((name, tree.name), []).append(wall)
                    cpus.setdefault((name, tree.name), []).append(cpu)
                    outputs[(name, tree.name)] = out
            for tree in trees:
                wall, cpu = tree.serve_health()
                walls.setdefault(("serve_health", tree.name), []).append(wall)
                cpus.setdefault(("serve_health", tree.name), []).append(cpu)
        table: dict[str, Any] = {}
        for name, target in TARGETS_S.items():
            row: dict[str, Any] = {
                t.name: _row(walls[(name, t.name)], cpus[(name, t.name)], target) for t in trees
            }
            if name in COMMANDS and len(trees) == 2:
                row["same_output"] = outputs[(name, "baseline")] == outputs[(name, "current")]
            table[name] = row
            print(name, row, flush=True)
        result["commands"] = table
        result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if baseline_dir is not None:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(baseline_dir)],
                cwd=ROOT,
                capture_output=True,
            )
        shutil.rmtree(scratch, ignore_errors=True)
    write_result("bench_cold", result)


if __name__ == "__main__":
    main(sys.argv[1:])
