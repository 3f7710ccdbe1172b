"""The optional extras: which features each one carries, whether it is installed, and the one
line that names it when it is not (``pip install 'lingxi[voice]'`` or ``make install EXTRAS=voice``).

Only installation is checked (``importlib.util.find_spec``, no import), so asking is cheap: the
health report and the web app use it to list and hide features.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from lingxi.errors import UnavailableError

__all__ = ["EXTRAS", "Extra", "MissingExtraError", "available", "install_hint", "report", "require"]


@dataclass(frozen=True)
class Extra:
    """One optional extra of ``pyproject.toml`` and the modules that prove it is installed."""

    name: str
    feature: str
    modules: tuple[str, ...]


EXTRAS: dict[str, Extra] = {
    e.name: e
    for e in (
        Extra(
            "voice",
            "Offline speech (Whisper, PocketSphinx)",
            ("faster_whisper", "pocketsphinx", "opencc", "pypinyin"),
        ),
        Extra("vision", "Camera gestures (MediaPipe)", ("mediapipe", "cv2")),
        Extra("scale", "Scale-out (Ray, Ray Serve)", ("ray",)),
    )
}


class MissingExtraError(UnavailableError):
    """A feature's optional extra is not installed (HTTP 503, CLI exit 3)."""

    code = "extra_not_installed"

    def __init__(self, extra: str, feature: str | None = None) -> None:
        what = feature or EXTRAS[extra].feature
        super().__init__(
            f"{what} needs the optional extra [{extra}]: {install_hint(extra)}.",
            extra=extra,
            install=f"pip install 'lingxi[{extra}]'",
        )
        self.extra, self.feature = extra, feature

    def __reduce__(self) -> tuple[type[MissingExtraError], tuple[str, str | None]]:
        return (MissingExtraError, (self.extra, self.feature))  # survives a worker process


def install_hint(extra: str) -> str:
    """How to install ``extra``, both ways."""
    return f"pip install 'lingxi[{extra}]' (or make install EXTRAS={extra})"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a blocked or half-imported module
        return False


def available(extra: str) -> bool:
    """Whether every module of ``extra`` is installed (nothing is imported)."""
    return all(_installed(m) for m in EXTRAS[extra].modules)


def require(extra: str, feature: str | None = None) -> None:
    """Raise :class:`MissingExtraError` unless ``extra`` is installed."""
    if not available(extra):
        raise MissingExtraError(extra, feature)


def report() -> dict[str, dict[str, object]]:
    """Each extra: installed or not, the feature it carries and how to install it."""
    return {
        e.name: {
            "available": available(e.name),
            "feature": e.feature,
            "install": f"pip install 'lingxi[{e.name}]'",
        }
        for e in EXTRAS.values()
    }
