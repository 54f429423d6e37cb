# Federa task runner. `make up` runs the platform, `make test` runs every check.
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: install up test lint typecheck unit contracts contracts-check bench-events bench-members bench-payments bench-statistics bench-billing bench-relay clean

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

## bench-relay: the outbox relay alone against bare aio-pika (ARGS="--events 10000 --batch 200 --profile")
bench-relay: install
	$(UV) run python -m bench.relay $(ARGS)

## bench-members: bulk import rate and search latency (1,000,000 members; ARGS="--members 100000 --branches 200" for a quick run)
bench-members: install
	$(UV) run python -m bench.members $(ARGS)

## bench-payments: camt.054 import, matching and application rate (100,000 payments; ARGS="--payments 10000" for a quick run)
bench-payments: install
	$(UV) run python -m bench.payments $(ARGS)

## bench-statistics: projection rate and subscription-statistics latency (1,000,000 subscriptions; ARGS="--subscriptions 10000" for a quick run)
bench-statistics: install
	$(UV) run python -m bench.statistics $(ARGS)

## bench-billing: billing-run invoices/s with one and two workers (100,000 subscriptions; ARGS="--subscriptions 20000" for a quick run)
bench-billing: install
	$(UV) run python -m bench.billing $(ARGS)

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
