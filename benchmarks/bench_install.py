"""A new user's first run: `make install` from an empty package cache, and each command's start.

For each set of extras (``core``: what `make run` installs; ``all``: every extra), a fresh
`make install VENV=<scratch>/venv EXTRAS=...` runs with ``UV_CACHE_DIR`` in a new empty folder and
all traffic through a local CONNECT proxy that counts the bytes it carries (the download size:
PyPI's index pages and wheels, TLS included; uv's own wheel too). Reported: wall time, bytes
downloaded, the venv's size on disk and the cache's.

Then, in the fresh core venv on its own demo database (`lingxi db upgrade`, `lingxi demo load`),
each command's time in a new process (`--runs` times, median and CPU user+sys): ``lingxi --help``,
``guide parse``, ``home parse``, ``home do``, ``guide recommend`` (its first run also builds the
guide's index, reported apart) and ``lingxi serve`` until ``/api/health`` answers 200. The
issue's targets are the baseline each figure is compared against. Load average before and after.

    python -m benchmarks bench_install [--sets core,all] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, write_result

SETS = {"core": "", "all": "dev,voice,vision,scale,bench"}
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
    "guide_parse": ["guide", "parse", "oily skin, cleanser under $30"],
    "home_parse": ["home", "parse", "turn on the kitchen light"],
    "home_do": ["home", "do", "turn on the kitchen light"],
    "guide_recommend": ["guide", "recommend", "oily skin, cleanser under $30"],
}


class CountingProxy:
    """An HTTPS (CONNECT) proxy on 127.0.0.1 that counts the bytes it hands to the client."""

    def __init__(self) -> None:
        self.down = 0
        self.up = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, down: bool) -> None:
        try:
            while chunk := await r.read(65536):
                if down:
                    self.down += len(chunk)
                else:
                    self.up += len(chunk)
                w.write(chunk)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _client(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        head = await r.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            w.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            w.close()
            return
        host, port = target.rsplit(":", 1)
        try:
            ur, uw = await asyncio.open_connection(host, int(port))
        except OSError:
            w.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            w.close()
            return
        w.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await w.drain()
        await asyncio.gather(self._pipe(ur, w, True), self._pipe(r, uw, False))


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = Path(root) / f
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def _mb(n: int) -> float:
    return round(n / 1e6, 1)


def fresh_install(name: str, extras: str, scratch: Path, proxy: CountingProxy) -> dict[str, Any]:
    """`make install` into ``scratch/venv`` from an empty ``scratch/cache``."""
    venv, cache = scratch / "venv", scratch / "cache"
    cache.mkdir(parents=True)
    url = f"http://127.0.0.1:{proxy.port}"
    env = {
        **os.environ,
        "UV_CACHE_DIR": str(cache),
        "HTTPS_PROXY": url,
        "https_proxy": url,
        "PIP_NO_CACHE_DIR": "1",
        # pip reads PyPI only (this machine's pip.conf adds local wheel folders), so uv's own
        # wheel is downloaded as a new user's would be
        "PIP_CONFIG_FILE": "/dev/null",
    }
    env.pop("PIP_FIND_LINKS", None)
    down0, load0 = proxy.down, os.getloadavg()
    t0 = time.monotonic()
    proc = subprocess.run(
        ["make", "-C", str(ROOT), "install", f"VENV={venv}", f"EXTRAS={extras}"],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"make install failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    packages = (
        subprocess.run(
            [
                str(venv / "uv" / "bin" / "uv"),
                "pip",
                "list",
                "--python",
                str(venv / "bin" / "python"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.count("\n")
        - 2
    )
    return {
        "set": name,
        "extras": extras or "(none)",
        "install_s": round(seconds, 1),
        "downloaded_mb": _mb(proxy.down - down0),
        "venv_mb": _mb(_du(venv)),
        "cache_mb": _mb(_du(cache)),
        "packages": packages,
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_health(lingxi: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    import httpx

    port = _free_port()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [lingxi, "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - t0 < 120:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        wall = time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def command_times(venv: Path, runs: int, data: Path) -> dict[str, Any]:
    """Each command in a new process ``runs`` times on a fresh demo database."""
    lingxi = str(venv / "bin" / "lingxi")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("LINGXI_") and k != "VIRTUAL_ENV"
    }
    env.update(
        LINGXI_DB__URL=f"sqlite:///{data / 'lingxi.db'}",
        LINGXI_DATA_DIR=str(data),
        PYTHONDONTWRITEBYTECODE="1",  # as on CI: what `make install` compiled is all there is
    )
    for step in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([lingxi, *step], env=env, cwd=data, check=True, capture_output=True)
    out: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    for name, args in COMMANDS.items():
        first: float | None = None
        if name == "guide_recommend":  # the first run builds the guide's index and caches it
            first = _timed([lingxi, *args], env, data)[0]
        walls, cpus = [], []
        for _ in range(runs):
            wall, cpu, code = _timed([lingxi, *args], env, data)
            if code not in (0,):
                raise RuntimeError(f"lingxi {' '.join(args)} exited {code}")
            walls.append(wall)
            cpus.append(cpu)
        row = {
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            "median_cpu_s": round(statistics.median(cpus), 3),
            "target_s": TARGETS_S[name],
        }
        if first is not None:
            row["first_run_s"] = round(first, 3)
        out[name] = row
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = _serve_health(lingxi, env, data)
        walls.append(wall)
        cpus.append(cpu)
    out["serve_health"] = {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
        "target_s": TARGETS_S["serve_health"],
    }
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_install", description=__doc__)
    parser.add_argument("--sets", default="core,all", help="core, all (comma-separated)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="keep the scratch folders here")
    args = parser.parse_args(argv or [])
    proxy = CountingProxy()
    base = Path(args.keep or tempfile.mkdtemp(prefix="lingxi-install-"))
    result: dict[str, Any] = {"python": sys.version.split()[0], "installs": [], "commands": None}
    try:
        for name in args.sets.split(","):
            scratch = base / name
            shutil.rmtree(scratch, ignore_errors=True)
            row = fresh_install(name, SETS[name], scratch, proxy)
            print(row, flush=True)
            result["installs"].append(row)
            if name == "core":
                data = scratch / "data"
                data.mkdir()
                result["commands"] = command_times(scratch / "venv", args.runs, data)
                print(result["commands"], flush=True)
            if args.keep is None:
                shutil.rmtree(scratch, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    write_result("bench_install", result)


if __name__ == "__main__":
    main(sys.argv[1:])
