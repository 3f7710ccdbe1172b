"""Scale-out: run independent tasks in this process, in a process pool, or as Ray tasks.

This module is the one adapter for Ray's task API: it alone imports ``ray`` (the API under Ray
Serve is wrapped in :mod:`lingxi.api.serve`). The engines describe *what* is independent (one
depot's routes, one sampled day, one candidate model, one block of customers to score) and call
:func:`map_tasks`; :class:`~lingxi.config.RaySettings` decide *where* it runs:

* ``address`` unset (the embedded default): in this process, one item after the other, or in a
  pool of ``local_workers`` processes;
* ``address`` set (``LINGXI_RAY__ADDRESS=auto`` or ``host:port``): one Ray remote task per item,
  re-run up to ``max_retries`` times when its worker or node dies. An exception raised by the
  function itself is not retried (it would fail again) and is re-raised here as it was raised.

Results come back in the order of ``items`` in every mode, so the same call gives the same
answer on one process and on a cluster when the function is deterministic.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal, TypeVar

from lingxi.config import RaySettings
from lingxi.errors import UnavailableError
from lingxi.extras import MissingExtraError

__all__ = [
    "Backend",
    "LocalHead",
    "backend",
    "connect",
    "map_tasks",
    "map_with",
    "shutdown",
    "start_local_head",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")

Backend = Literal["inline", "processes", "ray"]

_lock = threading.Lock()
_connected: str | None = None


def backend(settings: RaySettings) -> Backend:
    """Where :func:`map_tasks` runs with ``settings``."""
    if settings.address:
        return "ray"
    return "processes" if settings.local_workers > 1 else "inline"


def _ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise MissingExtraError("scale", "LINGXI_RAY__ADDRESS is set: Ray") from err
    return ray


def _check_reachable(address: str | None, timeout_s: float = 3.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (``ray.init`` would wait for minutes)."""
    if not address or address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout_s):
            return
    except OSError as err:
        raise UnavailableError(
            f"The Ray cluster at {address!r} is unreachable: {err}",
            part="ray",
            address=address,
        ) from err


def connect(settings: RaySettings) -> Any:
    """Connect this process to the cluster at ``settings.address`` once (again if it changes);
    returns the ``ray`` module for the other Ray adapter (:mod:`lingxi.api.serve`)."""
    global _connected
    ray = _ray()
    with _lock:
        if ray.is_initialized() and _connected == settings.address:
            return ray
        if ray.is_initialized():
            ray.shutdown()
        _check_reachable(settings.address)
        try:
            ray.init(
                address=settings.address,
                namespace="lingxi",
                ignore_reinit_error=True,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise UnavailableError(
                f"The Ray cluster at {settings.address!r} is unreachable: {err}",
                part="ray",
                address=settings.address,
            ) from err
        _connected = settings.address
        logger.info("connected to Ray at %s", settings.address)
        return ray


def shutdown() -> None:
    """Disconnect this process from Ray (a no-op when it never connected)."""
    global _connected
    with _lock:
        if _connected is None:
            return
        ray = _ray()
        if ray.is_initialized():
            ray.shutdown()
        _connected = None


def _call_with(fn: Callable[[S, T], R], shared: S, item: T) -> R:
    return fn(shared, item)


def _gather(ray: Any, refs: list[Any]) -> list[Any]:
    from ray.exceptions import RayError, RayTaskError

    try:
        return list(ray.get(refs))
    except RayTaskError as err:
        cause = getattr(err, "cause", None)
        if isinstance(cause, Exception):
            # The function's own error, as it was raised (InvalidInputError stays a 422).
            raise cause from None
        raise UnavailableError(f"A Ray task failed: {err}", part="ray") from err
    except RayError as err:
        # Worker or node died more often than max_retries, object lost, cluster gone.
        raise UnavailableError(
            f"A Ray task could not be completed after its retries: {type(err).__name__}",
            part="ray",
        ) from err


def map_tasks(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    settings: RaySettings,
    num_cpus: float = 1.0,
) -> list[R]:
    """``[fn(x) for x in items]``, run where ``settings`` say.

    Parameters
    ----------
    fn
        A module-level function (it is pickled by reference to the workers, which must have
        Lingxi installed); it should be deterministic for the modes to agree.
    items
        The independent inputs; each becomes one task.
    settings
        ``address`` selects Ray; ``max_retries`` and ``local_workers`` as documented there.
    num_cpus
        CPUs Ray reserves for each task (a PyVRP search uses one).

    Returns
    -------
    list
        One result per item, in the order of ``items``.

    Raises
    ------
    UnavailableError
        Ray is configured but not installed or unreachable, or a task's worker died more often
        than ``max_retries``. Errors raised by ``fn`` itself are re-raised unchanged.
    """
    work = list(items)
    mode = backend(settings)
    if mode == "inline" or (mode == "processes" and len(work) <= 1):
        return [fn(x) for x in work]
    if mode == "processes":
        workers = min(settings.local_workers, len(work))
        # spawn, not fork: the caller may be a threaded server (uvicorn, the MQTT loop).
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(fn, work))
    ray = connect(settings)
    remote = ray.remote(fn).options(
        max_retries=settings.max_retries, retry_exceptions=False, num_cpus=num_cpus
    )
    return _gather(ray, [remote.remote(x) for x in work])


def map_with(
    fn: Callable[[S, T], R],
    shared: S,
    items: Iterable[T],
    *,
    settings: RaySettings,
    num_cpus: float = 1.0,
) -> list[R]:
    """``[fn(shared, x) for x in items]``: like :func:`map_tasks`, with one large argument
    (a fitted model, a distance matrix) sent to the cluster once rather than once per task."""
    work = list(items)
    mode = backend(settings)
    if mode == "inline" or (mode == "processes" and len(work) <= 1):
        return [fn(shared, x) for x in work]
    if mode == "processes":
        workers = min(settings.local_workers, len(work))
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(_call_with, [fn] * len(work), [shared] * len(work), work))
    ray = connect(settings)
    ref = ray.put(shared)
    remote = ray.remote(_call_with).options(
        max_retries=settings.max_retries, retry_exceptions=False, num_cpus=num_cpus
    )
    return _gather(ray, [remote.remote(fn, ref, x) for x in work])


class LocalHead:
    """A Ray head node on loopback, started by :func:`start_local_head` (tests, benchmarks and
    one-machine deployments); :meth:`stop` ends exactly the processes it started."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        address: str,
        temp_dir: Path,
        *,
        owns_temp_dir: bool = False,
    ) -> None:
        self.process = process
        self.address = address
        """``127.0.0.1:<port>``: the value for ``LINGXI_RAY__ADDRESS``."""
        self.temp_dir = temp_dir
        self.owns_temp_dir = owns_temp_dir
        """Remove ``temp_dir`` (sessions, logs, spilled objects) on :meth:`stop`."""

    def settings(self, *, max_retries: int = 3) -> RaySettings:
        """Settings that send :func:`map_tasks` to this head."""
        return RaySettings(address=self.address, max_retries=max_retries)

    def _descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found: list[int] = []
        todo = [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return sorted(found)

    def worker_pids(self) -> list[int]:
        """Process ids of this head's Ray worker processes (``ray::IDLE`` or ``ray::<task>``)."""
        pids: list[int] = []
        for pid in self._descendants():
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::") and not title.endswith(b"Agent"):
                pids.append(pid)
        return pids

    def stop(self) -> None:
        """Stop the head and every process it started (its group and the workers, which the
        raylet puts in groups of their own); no other Ray on the machine is touched."""
        shutdown()
        family = self._descendants()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.owns_temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_local_head(
    *, num_cpus: int = 2, temp_dir: Path | None = None, timeout_s: float = 90.0
) -> LocalHead:
    """Start ``ray start --head --block`` on 127.0.0.1 with free ports and no dashboard.

    The head runs in its own process group, so :meth:`LocalHead.stop` ends it without touching
    any other Ray on the machine. Raises :class:`UnavailableError` when Ray is not installed or
    the head does not come up within ``timeout_s``.
    """
    _ray()
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        raise UnavailableError(f"The ray command was not found next to {sys.executable}.")
    temp = temp_dir or Path(tempfile.mkdtemp(prefix="lxray"))
    port = _free_port()
    # Workers listen below Linux's ephemeral range (32768+), where the free ports above come from.
    worker_lo = 20000 + (port % 100) * 100
    args = [
        str(ray_cli),
        "start",
        "--head",
        "--block",
        f"--port={port}",
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={num_cpus}",
        "--include-dashboard=false",
        f"--dashboard-port={_free_port()}",
        "--disable-usage-stats",
        f"--temp-dir={temp}",
        f"--ray-client-server-port={_free_port()}",
        f"--node-manager-port={_free_port()}",
        f"--object-manager-port={_free_port()}",
        f"--dashboard-agent-listen-port={_free_port()}",
        f"--dashboard-agent-grpc-port={_free_port()}",
        f"--runtime-env-agent-port={_free_port()}",
        f"--metrics-export-port={_free_port()}",
        f"--min-worker-port={worker_lo}",
        f"--max-worker-port={worker_lo + 99}",
    ]
    log = (temp / "lingxi-head.log").open("wb") if temp.exists() else subprocess.DEVNULL
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    head = LocalHead(process, f"127.0.0.1:{port}", temp, owns_temp_dir=temp_dir is None)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UnavailableError(f"ray start exited with {process.returncode}; see {temp}.")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            # The GCS answers first; wait for the raylet too (its session folder appears).
            if any(temp.glob("session_latest/sockets/raylet*")):
                return head
        time.sleep(0.5)
    head.stop()
    raise UnavailableError(f"The local Ray head did not start within {timeout_s:.0f} s.")
