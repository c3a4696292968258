# Two commands for a fresh clone (Python 3.11+):  make run [PORT=8000]   |   make test [PYTEST_ARGS=…]
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# What serving needs (`run`), and beside it what only the tests need (`test`: a browser driver, an API
# fuzzer, a mail server, PDF readers), so that serving never installs them.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Who asks, in what outside parties read (e-mails, link pages), unless A10FLOW_ORGANISATION says.
DEMO_ORGANISATION := Example AI Ltd (a10flow demo)
# The browser tests drive Debian's chromium.
CHROMIUM := /usr/bin/chromium
# The pack's PDF report: WeasyPrint draws with Debian's Pango and HarfBuzz, in DejaVu.
# Uploaded documents: python-magic reads their real type with Debian's libmagic (file(1)'s database).
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1
# The diagram pages: bpmn-js and dmn-js from npm (pinned by package-lock.json), bundled by esbuild; the
# tests' OpenID provider (oidc-provider) and accessibility checker (axe-core) come from npm too.
NODE := node_modules/.package-lock.json
BUILD := a10flow/static/build/modeler.js
# The suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

.PHONY: run test setup clean pdf-libs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium || \
	  { echo "the browser tests need Debian's chromium: run 'apt-get install chromium' as root"; exit 1; }

pdf-libs:
	@dpkg -s $(PDF_LIBS) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $(PDF_LIBS); } || \
	  { echo "the PDF report and uploads need $(PDF_LIBS): run 'apt-get install $(PDF_LIBS)' as root"; exit 1; }

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(BUILD): $(NODE) $(wildcard a10flow/web/js/*.js)
	npm run build

setup: $(STAMP) $(BUILD) pdf-libs

run: $(STAMP) $(BUILD) pdf-libs
	$(BIN)/a10flow init --demo
	A10FLOW_BASE_URL="$${A10FLOW_BASE_URL:-http://127.0.0.1:$(PORT)}" \
	A10FLOW_ORGANISATION="$${A10FLOW_ORGANISATION:-$(DEMO_ORGANISATION)}" $(BIN)/a10flow serve --port $(PORT)

test: $(TEST_STAMP) $(NODE) $(BUILD) pdf-libs $(CHROMIUM)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules a10flow/static/build
