# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: demo serve test lint install screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,local,postgres,dask]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

# The web app over the demo's store, with the example topic (after `make demo`).
serve: $(STAMP)
	NEWSDESK_HOME=.demo NEWSDESK_TOPICS=examples $(VENV)/bin/newsdesk serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

# The README's screenshots, docs/screenshots/*.png (`make test` writes them to a temp folder).
screenshots: $(STAMP)
	NEWSDESK_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/test_browser.py

clean:
	rm -rf $(VENV) .demo build *.egg-info
