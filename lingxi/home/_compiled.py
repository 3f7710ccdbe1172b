"""Compiled templates kept on disk, so a new process loads what an earlier one built.

hassil parses each of Home Assistant's sentence templates and compiles it to a regular
expression the first time a request could match it: ~0.1 s of every cold ``lingxi home parse``.
Pickling the parsed templates keeps the parsing, but a pickled ``re.Pattern`` is only its source
text, compiled again when loaded. So each pattern is stored as the program the ``re`` module
compiled it to (the arguments of ``_sre.compile``) and restored without parsing. That program is
CPython's own: the key of a file names the interpreter build and ``_sre.MAGIC``, every pattern is
checked to equal ``re.compile``'s when it is written (a pattern compares equal only with the
same program), and a file that cannot be read is built again.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

__all__ = ["cache_key", "load", "store"]

logger = logging.getLogger(__name__)


def cache_key(parts: Iterable[str | bytes]) -> str:
    """A digest of ``parts`` and of this interpreter's build: a file name's key."""
    digest = hashlib.sha256(f"{sys.version}\0{_sre.MAGIC}".encode())
    for part in parts:
        digest.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return digest.hexdigest()[:24]


def _program(pattern: re.Pattern[str]) -> tuple[Any, ...]:
    """What ``re._compiler.compile`` hands ``_sre.compile`` for ``pattern``."""
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    code = [int(op) for op in _compiler._code(parsed, pattern.flags)]  # named opcodes are ints
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        pattern.pattern,
        pattern.flags | parsed.state.flags,
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def _restore(*program: Any) -> re.Pattern[str]:
    pattern: re.Pattern[str] = _sre.compile(*program)
    return pattern


class _Mismatch(Exception):
    """A restored pattern would differ from the compiled one: nothing is written."""


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, re.Pattern) and isinstance(obj.pattern, str):
            program = _program(obj)
            if _restore(*program) != obj:
                raise _Mismatch(obj.pattern[:80])
            return _restore, program
        return NotImplemented


def load(path: Path) -> Any | None:
    """What :func:`store` wrote at ``path``; None when there is none or it cannot be read."""
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as err:  # noqa: BLE001 - a damaged or foreign file is rebuilt
        logger.warning("compiled templates %s unreadable (%s): building them again", path, err)
        return None


def store(path: Path, value: Any) -> bool:
    """Write ``value`` with its patterns as compiled programs, atomically; False (and nothing
    written) when the folder is not writable or a pattern would not come back the same."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            _Pickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        os.replace(tmp, path)
        tmp = None
        return True
    except OSError as err:  # a read-only data folder: every start compiles, as before
        logger.info("compiled templates not kept at %s: %s", path, err)
        return False
    except (pickle.PicklingError, _Mismatch, RecursionError) as err:
        logger.warning("compiled templates not kept at %s: %s", path, err)
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
