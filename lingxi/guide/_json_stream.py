"""Streaming JSON: the items of a top-level array (or of JSON Lines) decoded one at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from lingxi.errors import InvalidInputError

__all__ = ["MAX_RECORD_CHARS", "json_array_items", "json_lines"]

MAX_RECORD_CHARS = 10_000_000
"""The largest record buffered before the file is refused."""


def json_array_items(text: IO[str]) -> Iterator[Any]:
    """The items of a top-level JSON array, decoded one at a time from 64 kB reads."""
    decoder = json.JSONDecoder()
    buf, pos, eof, started, need_comma = "", 0, False, False, False

    def refill() -> None:
        nonlocal buf, pos, eof
        chunk = text.read(65536)
        eof = not chunk
        buf, pos = buf[pos:] + chunk, 0
        if len(buf) > MAX_RECORD_CHARS:
            raise InvalidInputError.for_field(
                "file", f"JSON records of at most {MAX_RECORD_CHARS} characters", "(longer)"
            )

    def broken(what: str) -> InvalidInputError:
        return InvalidInputError.for_field("file", "a JSON array of objects", what)

    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= len(buf):
            if eof:
                raise broken("an unterminated array")
            refill()
            continue
        ch = buf[pos]
        if not started:
            if ch != "[":
                raise broken(buf[pos : pos + 20])
            started, pos = True, pos + 1
            continue
        if ch == "]":
            return
        if need_comma:
            if ch != ",":
                raise broken(buf[pos : pos + 20])
            need_comma, pos = False, pos + 1
            continue
        try:
            item, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError:
            if eof:
                raise broken(buf[pos : pos + 20]) from None
            refill()
            continue
        if end >= len(buf) and not eof:  # a number may go on in the next read
            refill()
            continue
        pos, need_comma = end, True
        yield item


def json_lines(text: IO[str]) -> Iterator[Any]:
    for line in text:
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                yield None
