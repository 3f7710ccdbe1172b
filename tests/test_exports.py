"""Every public facade declares an ``__all__`` of names that exist."""

from __future__ import annotations

import importlib

import pytest

FACADES = [
    "lingxi.errors",
    "lingxi.config",
    "lingxi.types",
    "lingxi.data",
    "lingxi.data.models",
    "lingxi.embeddings",
    "lingxi.guide",
    "lingxi.dispatch",
    "lingxi.home",
    "lingxi.commerce",
    "lingxi.policy",
    "lingxi.assistant",
    "lingxi.api",
]


@pytest.mark.parametrize("name", FACADES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    """``__all__`` exists, has no duplicates, and each name is importable (ruff RUF022 sorts it)."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported, f"{name} exports nothing"
    assert len(set(exported)) == len(exported)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr} is in __all__ but missing"


def test_package_ships_type_information() -> None:
    """The package ships ``py.typed``."""
    from importlib import resources

    assert (resources.files("lingxi") / "py.typed").is_file()
