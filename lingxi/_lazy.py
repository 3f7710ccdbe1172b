"""Facades whose names load on first use (PEP 562), so a command pays only for what it touches.

A package ``__init__`` keeps its typed imports under ``TYPE_CHECKING`` (mypy and import-linter
read them) and, at run time, hands the same names to :func:`exports`::

    if TYPE_CHECKING:
        from lingxi.data.database import Database as Database
    else:
        __getattr__, __dir__ = exports(__name__, {"lingxi.data.database": ["Database"]})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, names: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name from its module, when asked."""
    where = {name: module for module, listed in names.items() for name in listed}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
