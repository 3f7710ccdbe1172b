# Lingxi: two commands. `make run` serves the demo; `make test` runs every check.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_SYSTEM_CERTS := 1

.PHONY: install run test lint bench audit clean demo bytecode

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8
	@# Byte-compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on CI) every
	@# process would otherwise compile each module it imports from source, seconds per command.
	$(UV) pip sync --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --compile-bytecode --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# The project's own modules too (an editable install leaves them as source); stale files are
# simply recompiled in memory by Python, so this never serves old code.
bytecode: install
	@$(BIN)/python -m compileall -q -j 0 lingxi tests benchmarks >/dev/null

demo: bytecode
	$(BIN)/lingxi db upgrade
	$(BIN)/lingxi demo load

run: demo
	$(BIN)/lingxi serve --host $(HOST) --port $(PORT)

lint: bytecode
	$(BIN)/ruff check lingxi tests benchmarks
	$(BIN)/ruff format --check lingxi tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -m "" -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	@# OR-Tools is only the benchmarks' named baseline; 9.9 is the newest that accepts the
	@# protobuf 4 MediaPipe (the [vision] extra) needs, so both stay installed side by side.
	@$(BIN)/python -c "import ortools" 2>/dev/null || $(UV) pip install --python $(BIN)/python "ortools==9.9.3963" "protobuf==4.25.9"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# pip-audit over requirements.lock (asks PyPI's vulnerability data); JSON to benchmarks/results/.
audit: install
	$(BIN)/python -m benchmarks.security_audit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
