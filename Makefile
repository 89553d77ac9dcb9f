# Jiuzhu (救助) — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := python3 -m uv
PYTEST_ARGS ?=

.PHONY: help tools sync run bench bench-access bench-argon2 bench-events bench-verification bench-payroll bench-monitoring bench-gateway bench-service chaos load test test-unit test-integration test-e2e lint format schemas servers stop-servers migrate

help: ## Show the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

tools: ## Install uv (the workspace manager) if missing
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) --version

sync: tools ## Install every package of the workspace and the dev tools into .venv
	$(UV) sync --all-packages --frozen

run: sync ## Embedded mode: every service + gateway in one process, SQLite, in-process bus (PORT=8000 HOST=127.0.0.1)
	$(UV) run jiuzhu run --port $(or $(PORT),8000) --host $(or $(HOST),127.0.0.1)

test: sync ## Everything: lint, then all tiers against real PostgreSQL and Kafka (started and stopped here)
	$(MAKE) --no-print-directory lint
	deploy/local/run-tests.sh $(PYTEST_ARGS)

test-unit: sync ## Unit, API and embedded-mode tests only (no servers)
	$(UV) run pytest -m "not integration and not e2e" $(PYTEST_ARGS)

test-integration: sync ## Integration tier (starts the servers)
	deploy/local/run-tests.sh -m integration $(PYTEST_ARGS)

test-e2e: sync ## End-to-end tier: every service in its own process (starts the servers)
	deploy/local/run-tests.sh -m e2e $(PYTEST_ARGS)

lint: ## ruff (lint + format check) and mypy --strict
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

format: ## Apply ruff fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: sync ## Policy-engine benchmark: COUNT households (default 1,000,000) vs the bare 补差 baseline
	$(UV) run python services/eligibility/bench/bench_assess.py --count $(or $(COUNT),1000000)

bench-access: sync ## Identity/privacy costs (token check, protected read, PII crypto, argon2) vs same-run baselines
	$(UV) run python platform/bench/bench_access.py --count $(or $(COUNT),20000)

bench-events: sync ## Event pipeline (outbox relay → Kafka → monitoring), COUNT events (20,000) vs raw aiokafka
	$(UV) run python platform/bench/bench_events.py --count $(or $(COUNT),20000)

bench-gateway: sync ## A read through the gateway vs directly on the service (wrk, DURATION s each, default 10)
	$(UV) run python platform/bench/bench_http.py gateway --seconds $(or $(DURATION),10)

bench-verification: sync ## Checks (核对) against the department simulator process: one check vs its slowest department, screening checks/s vs bare HTTP (COUNT, default 1,000)
	$(UV) run python services/verification/bench/bench_checks.py --count $(or $(COUNT),1000)

bench-payroll: sync ## A county's payroll of COUNT entitlements (1,000,000) → instructions + pain.001 vs a raw COPY of the rows, medians of REPEAT rounds (3); peak RSS (HISTORY=N: every case already paid N months)
	$(UV) run python services/payment/bench/bench_payroll.py --count $(or $(COUNT),1000000) --history-months $(or $(HISTORY),0) --repeat $(or $(REPEAT),3)

bench-monitoring: sync ## A death list of LIST rows (100,000) against a register of COUNT people (1,000,000) vs a bare COPY + join; then the risk recompute of COUNT households vs the same scores in one SQL statement
	$(UV) run python services/monitoring/bench/bench_death_list.py --count $(or $(COUNT),1000000) --list $(or $(LIST),100000)
	$(UV) run python services/monitoring/bench/bench_risk_scores.py --count $(or $(COUNT),1000000)

bench-argon2: sync ## Peak memory of a burst of BURST (40) sign-ins by argon2id concurrency bound (1, 2, 4, unbounded)
	$(UV) run python gateway/bench/bench_argon2_memory.py --burst $(or $(BURST),40)

bench-service: sync ## Eligibility over HTTP: DB read vs /healthz, create vs bare inserts (wrk, DURATION s each)
	$(UV) run python platform/bench/bench_http.py service --seconds $(or $(DURATION),10)

chaos: sync ## Faults under load: every process on real PostgreSQL/Kafka, SIGKILLs + broker/DB restarts for DURATION s (180), then the exactly-once invariants (SEED=… replays a schedule)
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start
	eval "$$(deploy/local/postgres.sh env; deploy/local/kafka.sh env)" && \
		$(UV) run python -m tests.chaos --duration $(or $(DURATION),180) $(if $(SEED),--seed $(SEED))

load: sync ## Load through the gateway (reads, creates, sign-ins), every process on real PostgreSQL/Kafka: rate stepped up to the highest with p99 < 1 s and 0 errors, then sustained; DURATION s (180) in all (OUT=file.json, SEED=…)
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start
	eval "$$(deploy/local/postgres.sh env; deploy/local/kafka.sh env)" && \
		$(UV) run python -m tests.load --duration $(or $(DURATION),180) $(if $(OUT),--out $(OUT)) $(if $(SEED),--seed $(SEED))

schemas: ## Regenerate the committed event JSON Schemas and the AsyncAPI catalogue
	$(UV) run python -m shared.schemas shared/schemas

servers: ## Start PostgreSQL and Kafka on loopback (idempotent)
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start

stop-servers: ## Stop PostgreSQL and Kafka
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

migrate: ## Migrate one service's database: make migrate SERVICE=eligibility (uses <SERVICE>_DATABASE_URL)
	$(UV) run python -m $(SERVICE) migrate
