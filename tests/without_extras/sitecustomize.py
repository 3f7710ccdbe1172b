"""Makes the modules named in ``LINGXI_TEST_BLOCK_MODULES`` (comma-separated) unimportable.

tests/test_extras.py puts this folder on ``PYTHONPATH`` for a `lingxi` process, which then runs
as on an install without those extras: ``import faster_whisper`` raises ModuleNotFoundError and
``importlib.util.find_spec`` finds nothing. Python imports ``sitecustomize`` at start.
"""

from __future__ import annotations

import os
import sys
from importlib.abc import MetaPathFinder

_blocked = tuple(m for m in os.environ.get("LINGXI_TEST_BLOCK_MODULES", "").split(",") if m)


class _Blocker(MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".")[0] in _blocked:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked)", name=fullname)
        return None


if _blocked:
    sys.meta_path.insert(0, _Blocker())
