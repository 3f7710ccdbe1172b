"""map_tasks and map_with run in-process, in a process pool, or on Ray, with one answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lingxi import compute
from lingxi.config import RaySettings
from lingxi.errors import UnavailableError
from tests.compute import _tasks


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (RaySettings(), "inline"),
        (RaySettings(local_workers=2), "processes"),
        (RaySettings(address="127.0.0.1:6379"), "ray"),
    ],
)
def test_backend_follows_settings(settings: RaySettings, expected: str) -> None:
    """Ray only when an address is set; a pool only when asked for more than one worker."""
    assert compute.backend(settings) == expected


def test_inline_keeps_order_and_raises_the_functions_error() -> None:
    """In-process results are in input order and the function's own error comes through."""
    assert compute.map_tasks(_tasks.square, [3, 1, 2], settings=RaySettings()) == [9, 1, 4]
    assert compute.map_with(_tasks.add, 10, [1, 2], settings=RaySettings()) == [11, 12]
    with pytest.raises(ValueError, match="three is refused"):
        compute.map_tasks(_tasks.fail_on_three, [1, 3], settings=RaySettings())


@pytest.mark.slow
def test_process_pool_matches_inline() -> None:
    """A pool of two processes returns what one process returns, errors included."""
    pool = RaySettings(local_workers=2)
    assert compute.map_tasks(_tasks.square, range(7), settings=pool) == [x * x for x in range(7)]
    assert compute.map_with(_tasks.add, 5, [1, 2, 3], settings=pool) == [6, 7, 8]
    with pytest.raises(ValueError, match="three is refused"):
        compute.map_tasks(_tasks.fail_on_three, [1, 3], settings=pool)


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Ray installed, asking for it says which extra to install."""
    import builtins

    real_import = builtins.__import__

    def no_ray(name: str, *args: object, **kwargs: object) -> object:
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(UnavailableError, match=r"lingxi\[scale\]"):
        compute.map_tasks(_tasks.square, [1, 2], settings=RaySettings(address="auto"))


@pytest.mark.slow
def test_serve_under_ray_needs_an_address(tmp_path: Path) -> None:
    """`lingxi serve --ray` without LINGXI_RAY__ADDRESS exits 2 naming the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINGXI_")}
    env["LINGXI_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "lingxi.cli", "serve", "--ray", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "LINGXI_RAY__ADDRESS" in done.stdout + done.stderr


def test_unreachable_cluster_fails_fast() -> None:
    """A Ray address nobody listens on is UnavailableError naming it, not a minutes-long wait."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
            compute.map_tasks(_tasks.square, [1], settings=RaySettings(address=f"127.0.0.1:{port}"))
