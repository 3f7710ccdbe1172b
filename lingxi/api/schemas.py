"""Request types shared by the routes: strict integer ids.

JSON has one number type, and pydantic's lax mode turns ``true``, ``1.0`` and ``"1"`` into the
id 1: a client that sends ``{"product_id": true}`` has a bug (or is probing), and it should hear
so instead of buying product 1. Text is checked for NUL bytes and lone surrogates once, for
every route, in :mod:`lingxi.api.middleware`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

__all__ = ["MAX_ID", "Id"]

MAX_ID = 2**31 - 1
"""The largest id a database row can have (a 32-bit signed INTEGER on PostgreSQL)."""

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description="A row id (a JSON integer).")]
"""A row id in a request body: a JSON integer from 1 to 2**31-1; never a bool, float or string."""
