# Two commands do everything on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PostgreSQL and Redis for the second test pass; CI starts them (.ci/run), a laptop may not have them.
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/overlap
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: messages setup migrate seed run prod test test-sqlite test-dates test-services proof lint format bench bench-scale clean

PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: lock

# The exact versions (with their hashes) come from requirements.lock; `make lock` writes it from pyproject.toml.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Overlap needs Python 3.11 or newer; set PYTHON=python3.x" if sys.version_info < (3, 11) else 0)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# After a change to the dependencies in pyproject.toml (Dependabot updates requirements.lock itself).
lock:
	@test -x $(BIN)/pip-compile || $(PIP) 'pip-tools>=7.4,<8'
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra dev --extra emulator \
		--no-emit-find-links --no-emit-index-url --output-file requirements.lock pyproject.toml

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python -m config.rundemo

# The production stack on this machine (gunicorn, a Celery worker and beat, by the Procfile) against PostgreSQL
# and Redis, with the emulator as Microsoft. PROD_DATABASE_URL is created if missing.
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/overlap_prod
# Without PROD_REDIS_URL it starts its own Redis with an append-only file in .run/prod-redis (port 6390), so that
# a restarted Redis keeps the tasks waiting in it.
PROD_REDIS_URL ?=

prod: setup
	DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(PROD_REDIS_URL) $(BIN)/python -m config.runprod

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

# After lint, the SQLite pass, the PostgreSQL/Redis pass and the date runs, two at a time (a pass keeps about one
# core busy: the longest two start first, the date runs fill in behind them); each one's output is shown whole as
# it ends. `.ci/run` took 34 minutes one after another on 2 cores, 20 this way.
test: lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-services $(DATE_RUNS)

# The tests that read the clock, again on days that have bitten calendar products: a Saturday, the US, EU and
# Australian/Lord Howe clock changes (spring and autumn), 31 December, 29 February. OVERLAP_TEST_NOW moves each run's
# clock (tests/conftest.py); two days at a time, each day's output in .run/dates/ and shown when it fails.
TEST_DATES ?= 2026-12-12T09:30:00Z 2027-03-14T06:00:00Z 2027-03-28T00:30:00Z 2027-04-03T14:00:00Z \
	2027-10-02T18:00:00Z 2026-12-31T22:00:00Z 2028-02-29T08:00:00Z

DATE_RUNS := $(addprefix test-date-,$(shell seq 1 $(words $(TEST_DATES))))

test-dates: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target $(DATE_RUNS)

test-date-%: setup
	@mkdir -p .run/dates
	@day=$(word $*,$(TEST_DATES)); \
	if OVERLAP_TEST_NOW=$$day $(BIN)/pytest tests/booking -q -p no:cacheprovider -m "not browser" \
		--ignore=tests/booking/test_engine_properties.py --ignore=tests/booking/test_engine_bench.py >.run/dates/$$day.log 2>&1; \
	then echo "on $$day: $$(tail -n 1 .run/dates/$$day.log)"; else cat .run/dates/$$day.log; echo "FAILED on $$day"; exit 1; fi

test-sqlite: setup
	$(BIN)/pytest

# The same suite on PostgreSQL and Redis. Under CI=true it always runs (and fails if they are missing);
# elsewhere it runs when both answer, and says so when they do not.
test-services: setup
	@if [ "$$CI" = "true" ] || $(BIN)/python -m config.services_up $(SERVICES_DATABASE_URL) $(SERVICES_REDIS_URL); then \
		DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) $(BIN)/pytest -m "not browser" -p no:cacheprovider; \
	else \
		echo "PostgreSQL or Redis does not answer: the PostgreSQL/Redis pass was left out (CI runs it)."; \
	fi

# The proof of Overlap's promises (tests/proof/, marked `proof`): PostgreSQL, Redis, a real Celery worker process
# and the emulator under faults, races, revocation and attack; prints each figure at the end. Its own database.
# Then the fault table (marked `own_servers`: Redis killed and back, PostgreSQL restarted, the whole worker killed
# after Microsoft made the event, two beats, Microsoft unreachable) on a Redis and a PostgreSQL it starts for itself
# on spare ports (tests/proof/servers.py), never the shared ones above: redis-server and PostgreSQL's initdb/pg_ctl
# must be installed (under CI=true a missing one fails it). PROOF_FAULT_SECONDS makes each outage longer (5).
PROOF_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/overlap_proof
PROOF_REDIS_URL ?= redis://127.0.0.1:6379/14

proof: setup
	@if [ -n "$$PROOF_REPORT" ]; then rm -f "$$PROOF_REPORT"; fi
	@if [ "$$CI" = "true" ] || $(BIN)/python -m config.services_up $(PROOF_DATABASE_URL) $(PROOF_REDIS_URL); then \
		DATABASE_URL=$(PROOF_DATABASE_URL) REDIS_URL=$(PROOF_REDIS_URL) \
			$(BIN)/pytest -m "proof and not own_servers" -p no:cacheprovider tests/proof; \
	else \
		echo "PostgreSQL or Redis does not answer: the proof needs both (CI runs it)."; exit 1; \
	fi
	$(BIN)/python -m tests.proof.servers $(BIN)/pytest -m "proof and own_servers" -p no:cacheprovider tests/proof

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark, with quick settings (the README quotes full runs, each with its command). The load bench runs
# the production stack on its own database (dropped and made afresh) and Redis database (emptied).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/overlap_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/12
BENCH_LOAD_SECONDS ?= 10

bench: setup
	$(BIN)/python -m bench.machine
	$(BIN)/python -m m365_emulator.bench
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.booking_calls
	@if $(BIN)/python -m config.services_up $(BENCH_DATABASE_URL) $(BENCH_REDIS_URL); then \
		$(BIN)/python -m bench.load --seconds $(BENCH_LOAD_SECONDS) --drain 20 \
			--database-url $(BENCH_DATABASE_URL) --redis-url $(BENCH_REDIS_URL); \
	else \
		echo "PostgreSQL or Redis does not answer: the load bench (bench/load.py) needs both."; \
	fi

# The directory sync (and, when present, search and read-back) at 1,000 to 100,000 people: several minutes.
bench-scale: setup
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) .run staticfiles .pytest_cache .mypy_cache .ruff_cache

# After a change to a marked string: every catalogue in locale/ brought up to date (GNU gettext's xgettext and
# msgmerge), then compiled by Babel (pure Python). Translate what is new in each .po, then run it again.
messages: setup
	$(BIN)/python manage.py makemessages -l de -l fr -l es -l ja -l pt_BR -l ar --no-obsolete --no-location \
		--ignore='.venv/*' --ignore='m365_emulator/*' --ignore='tests/*' --ignore='bench/*' --ignore='docs/*' \
		--ignore='static/*' --ignore='staticfiles/*' --ignore='.run/*'
	$(BIN)/pybabel compile --statistics -d locale -D django
