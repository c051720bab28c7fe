# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := demo.db
export HF_HUB_OFFLINE := 1

.PHONY: demo test lint typecheck unit bench clean chromium postgresql wrk serve
DATA ?= ../shared/data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/storyline --db $(DEMO_DB) ingest examples/
	$(BIN)/storyline --db $(DEMO_DB) ingest examples/
	$(BIN)/storyline --db $(DEMO_DB) events
	$(BIN)/storyline --db $(DEMO_DB) storylines
	$(BIN)/storyline --db $(DEMO_DB) articles
	$(BIN)/storyline --db $(DEMO_DB) report --format json -o report.json
	$(BIN)/storyline --db $(DEMO_DB) report --format md -o report.md
	$(BIN)/storyline --db $(DEMO_DB) report --format html -o report.html
	@echo "Read it in a browser: make serve (or .venv/bin/storyline --db $(DEMO_DB) serve), then open http://127.0.0.1:8000/"

serve: $(VENV)/.installed
	$(BIN)/storyline --db $(DEMO_DB) serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check storyline tests benchmarks tools
	$(BIN)/ruff format --check storyline tests benchmarks tools

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

# The store tests start their own PostgreSQL server from Debian's binaries (initdb in a temporary folder, a
# loopback port; as root, run as nobody): only the package is needed, not a running service.
postgresql:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the PostgreSQL store tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends postgresql; }

# The web load benchmark drives Debian's wrk.
wrk:
	@command -v wrk >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends wrk; }

unit: $(VENV)/.installed-dev chromium postgresql
	$(BIN)/pytest -q

test: lint typecheck unit

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# Quality and speed against peers, on every evaluation file; results go to benchmarks/results/
# and, by hand with the date and command, to benchmarks/RESULTS.md.
bench: $(VENV)/.installed-bench wrk
	$(BIN)/python benchmarks/clustering.py --data $(DATA)/clustering
	$(BIN)/python benchmarks/embeddings.py --data $(DATA)/clustering
	$(BIN)/storyline eval storylines $(DATA)/timelines/t17-dev.jsonl $(DATA)/clustering/allsides.jsonl $(DATA)/clustering/basil.jsonl $(DATA)/clustering/mmds-dev.jsonl --json > benchmarks/results/storylines.json
	$(BIN)/python benchmarks/memory.py --data $(DATA)/clustering
	$(BIN)/storyline eval temporal $(DATA)/temporal/*.jsonl --json > benchmarks/results/temporal.json
	$(BIN)/storyline eval timelines $(DATA)/timelines/*.jsonl --json > benchmarks/results/timelines.json
	$(BIN)/storyline eval quotes $(DATA)/quotes/*.jsonl --json > benchmarks/results/quotes.json
	$(BIN)/storyline eval entities $(DATA)/framing/*.jsonl --json > benchmarks/results/entities.json
	$(BIN)/storyline eval framing $(DATA)/framing/*.jsonl --json > benchmarks/results/framing.json
	$(BIN)/storyline eval summaries $(DATA)/summaries/*.jsonl --budget 260 --json > benchmarks/results/summaries.json
	$(BIN)/storyline eval facts $(DATA)/facts/*.jsonl --json > benchmarks/results/facts.json
	$(BIN)/storyline eval conflicts $(DATA)/clustering/basil.jsonl $(DATA)/clustering/allsides.jsonl --events 60 --json > benchmarks/results/conflicts.json
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/pipeline_speed.py --articles 300
	$(BIN)/python benchmarks/web_load.py --data $(DATA)/clustering/allsides.jsonl --workers 2
	$(BIN)/python benchmarks/web_load.py --data $(DATA)/clustering/allsides.jsonl --workers 2 --connections 4 \
		--out benchmarks/results/web_load_c4.json
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/watch_latency.py --data $(DATA)/clustering
	$(BIN)/python benchmarks/watch_profile.py --data $(DATA)/clustering --out benchmarks/results/watch_profile.json
	$(BIN)/python benchmarks/ray_agreement.py --data $(DATA)/clustering --partition-days 7 --overlap-days 14 \
		--partition-articles 50 --overlap-articles 100

clean:
	rm -rf $(VENV) test-artifacts $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm report.json report.md report.html .pytest_cache .mypy_cache .ruff_cache
