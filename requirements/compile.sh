#!/usr/bin/env bash
# Regenerates every lock in requirements/ from pyproject.toml (run after changing a pin there):
#   requirements/compile.sh          (or `make locks`; uv 0.13.8, as the Makefile installs it)
# One universal resolution of every extra together (all.lock); each other lock is the core plus
# its extras, constrained to all.lock, so any combination of locks agrees on every version.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/uv/bin/uv}
want=0.13.8
have=$("$UV" --version | cut -d' ' -f2)
[ "$have" = "$want" ] || { echo "requirements/compile.sh: uv $want needed, found $have" >&2; exit 2; }
common=(--universal --python-version 3.11 --quiet --custom-compile-command requirements/compile.sh)
# Starting from the old all.lock (if any) keeps every version that still fits.
"$UV" pip compile pyproject.toml --all-extras "${common[@]}" -o requirements/all.lock
"$UV" pip compile pyproject.toml "${common[@]}" -c requirements/all.lock -o requirements/core.lock
for extra in dev voice vision scale bench; do
  "$UV" pip compile pyproject.toml --extra "$extra" "${common[@]}" -c requirements/all.lock \
    -o "requirements/$extra.lock"
done
wc -l requirements/*.lock
