"""Module-level task functions for the Ray tests (workers import them by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: int) -> int:
    """x * x."""
    return x * x


def fail_on_three(x: int) -> int:
    """Raise a ValueError naming the value for 3."""
    if x == 3:
        raise ValueError(f"three is refused: {x}")
    return x


def slow_once(folder: str) -> int:
    """Record this attempt's pid; the first attempt then waits to be killed.

    Returns the number of attempts seen (the retry returns 2 after the first worker died).
    """
    root = Path(folder)
    attempts = sorted(root.glob("attempt-*"))
    n = len(attempts) + 1
    (root / f"attempt-{n}").write_text(str(os.getpid()))
    if n == 1:
        time.sleep(120)
    return n


def add(base: int, x: int) -> int:
    """base + x."""
    return base + x
