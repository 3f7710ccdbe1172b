"""Input coercion shared by the repositories."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from lingxi.errors import InvalidInputError

__all__ = ["as_enum"]

E = TypeVar("E", bound=StrEnum)


def as_enum(cls: type[E], field: str, value: str) -> E:
    """``cls(value)``, or an InvalidInputError naming ``field``, the allowed values and ``value``."""
    try:
        return cls(value)
    except ValueError:
        raise InvalidInputError.for_field(
            field, f"one of {[m.value for m in cls]}", value
        ) from None
