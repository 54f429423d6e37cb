# Federa task runner. `make up` runs the platform, `make test` runs every check.
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: install up test lint typecheck unit contracts contracts-check bench-events bench-members clean

.venv/.synced: pyproject.toml uv.lock shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

## up: run the five services against the local PostgreSQL and RabbitMQ (Ctrl-C stops them)
up: install
	$(UV) run federa up

## test: linters, type check, contract check, then every test on the real broker and database
test: lint typecheck contracts-check
	$(UV) run pytest

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install
	$(UV) run mypy

## unit: the tests that need neither broker nor database
unit: install
	$(UV) run pytest shared/tests/unit

contracts: install
	$(UV) run federa contracts

contracts-check: install
	$(UV) run federa contracts --check

## bench-events: outbox → broker → consumer throughput and latency
bench-events: install
	$(UV) run python -m bench.events

## bench-members: bulk import rate and search latency (1,000,000 members; ARGS="--members 100000 --branches 200" for a quick run)
bench-members: install
	$(UV) run python -m bench.members $(ARGS)

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
