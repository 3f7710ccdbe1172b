"""`python -m benchmarks [NAME ...]`: run every benchmark module (``bench_*.py``) or the named ones.

`python -m benchmarks NAME --option ...` passes the options to that one module (``--help`` lists
them, for the modules that take any).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    cut = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:cut], argv[cut:]
    if options and len(names) != 1:
        print("options go with exactly one benchmark: python -m benchmarks NAME --option ...")
        return 2
    names = names or sorted(p.stem for p in here.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        if inspect.signature(module.main).parameters:
            module.main(options)  # never sys.argv, which still holds the benchmark names
        else:
            module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
