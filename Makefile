# Lingxi: two commands. `make run` serves the demo; `make test` runs every check.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv lives beside the venv's packages, not among them: a sync never removes it.
UV := $(VENV)/uv/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_SYSTEM_CERTS := 1

# `make run` needs only the core (requirements/core.lock). Extras, each locked in
# requirements/<name>.lock by requirements/compile.sh: dev voice vision scale bench.
# `make install EXTRAS=voice,vision` adds them; later targets keep what was last installed
# (.venv/.extras) until EXTRAS is given again (`make install EXTRAS=` is the core alone).
EXTRAS ?= $(shell cat $(VENV)/.extras 2>/dev/null)
TEST_EXTRAS := dev voice vision scale
ALL_EXTRAS := dev voice vision scale bench
comma := ,
space := $(subst ,, )
_extras = $(sort $(subst $(comma),$(space),$(1)))
_key = $(if $(1),$(subst $(space),-,$(strip $(1))),core)
STAMP := $(VENV)/.installed-$(call _key,$(call _extras,$(EXTRAS)))
TEST_STAMP := $(VENV)/.installed-$(call _key,$(call _extras,$(EXTRAS) $(TEST_EXTRAS)))
BENCH_STAMP := $(VENV)/.installed-$(call _key,$(call _extras,$(ALL_EXTRAS)))

.PHONY: install run test lint bench audit clean demo bytecode locks

# One stamp per set of extras; a new set (or a changed lock) syncs the venv to exactly that set.
$(VENV)/.installed-%: pyproject.toml $(wildcard requirements/*.lock)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check --target $(VENV)/uv uv==0.13.8
	@# Byte-compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on CI) every
	@# process would otherwise compile each module it imports from source, seconds per command.
	$(UV) pip sync --compile-bytecode --python $(BIN)/python requirements/core.lock \
	  $(foreach e,$(subst -, ,$(filter-out core,$*)),requirements/$(e).lock)
	$(UV) pip install --compile-bytecode --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@echo "$(subst -, ,$(filter-out core,$*))" > $(VENV)/.extras
	@touch $@

install: $(STAMP)

# After a pin changes in pyproject.toml: every lock in requirements/ again (uv 0.13.8).
locks:
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check --target $(VENV)/uv uv==0.13.8
	UV=$(UV) requirements/compile.sh

# The project's own modules too (an editable install leaves them as source); stale files are
# simply recompiled in memory by Python, so this never serves old code.
define compile_project
	@$(BIN)/python -m compileall -q -j 0 lingxi tests benchmarks >/dev/null
endef

bytecode: install
	$(compile_project)

demo: bytecode
	$(BIN)/lingxi db upgrade
	$(BIN)/lingxi demo load

run: demo
	$(BIN)/lingxi serve --host $(HOST) --port $(PORT)

# Lint and the suite need the dev tools and every extra a test drives (voice, vision, scale).
lint: $(TEST_STAMP)
	$(compile_project)
	$(BIN)/ruff check lingxi tests benchmarks
	$(BIN)/ruff format --check lingxi tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -m "" -p no:cacheprovider $(PYTEST_ARGS)

# The benchmarks drive every extra, OR-Tools ([bench]) included as the dispatch baseline.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# pip-audit over requirements/all.lock (asks PyPI's vulnerability data); JSON to benchmarks/results/.
audit: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.security_audit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
