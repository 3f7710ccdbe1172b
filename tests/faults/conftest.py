"""Private servers for fault tests: a PostgreSQL cluster and a Mosquitto broker on free ports
under /tmp, so restarting them never disturbs the shared ones other tests use."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port


def wait_port(port: int, *, up: bool, timeout_s: float = 30) -> None:
    """Wait until 127.0.0.1:port accepts (``up``) or refuses connections."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'}")


def _pg_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.iterdir(), key=lambda p: p.name) if root.is_dir() else []
    for version in reversed(versions):
        if (version / "bin" / "pg_ctl").is_file():
            return version / "bin"
    return None


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster (trust auth on loopback) that tests may stop and start."""

    bin: Path
    data: Path
    port: int
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", opts, "-l", str(self.data / "log"), "start")
        wait_port(self.port, up=True)

    def stop(self) -> None:
        """Fast shutdown: open connections are terminated, like a server restart."""
        self._ctl("-m", "fast", "stop")
        wait_port(self.port, up=False)


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster for this session, removed afterwards."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    as_postgres: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="lingxi-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    server = PrivatePostgres(bin_dir, data, free_port(), as_postgres)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, TimeoutError):
            server.stop()
        shutil.rmtree(data, ignore_errors=True)


@dataclass
class PrivateMosquitto:
    """A Mosquitto broker on a free port that tests may kill and start again."""

    port: int
    config: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["/usr/sbin/mosquitto", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
        wait_port(self.port, up=False)


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    """A private broker (anonymous, loopback, no persistence) for one test."""
    if not Path("/usr/sbin/mosquitto").is_file():
        pytest.skip("mosquitto is not installed")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = PrivateMosquitto(port, config)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
