# The one task entry. `make demo` runs the main job; `make test` installs and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo demo-data build publish test test-fast lint fix golden bench fonts browser-deps clean

# Python environment: one virtualenv, reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The credit report embeds Noto Sans CJK SC (Debian's fonts-noto-cjk; root on these machines):
# the API refuses to start without it.
fonts:
	@fc-list 'Noto Sans CJK SC' 2>/dev/null | grep -q . || { \
	  echo "installing fonts-noto-cjk (the credit report's font) from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig fonts-noto-cjk; }

# Browser tests: Debian's chromium + CJK fonts (root on these machines), axe-core from npm.
browser-deps: fonts node_modules/.package-lock.json
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . && command -v pdftoppm >/dev/null || { \
	  echo "installing chromium, fonts-noto-cjk, poppler-utils from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## Main job: push the demo headlines and records, build the demo group, serve it with the API
## at http://127.0.0.1:8000/ (store: var/sitegroup.sqlite3; pushing again changes nothing).
demo: $(STAMP) fonts demo-data
	$(BIN)/sitegroup serve

demo-data: $(STAMP)
	$(BIN)/sitegroup push demo

build: $(STAMP)
	$(BIN)/sitegroup build

## Publish build/ to the target of [publish] in tenants/main/site.toml (default ./public).
publish: $(STAMP)
	$(BIN)/sitegroup publish

## Install everything the tests need, then run all of them.
test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate tests/golden/ from tests/golden_tenants/; review the diff like code.
golden: $(STAMP)
	$(BIN)/python tests/golden_regen.py

bench: $(STAMP)
	$(BIN)/python bench/build_bench.py
	$(BIN)/python bench/push_bench.py
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/publish_bench.py
	$(BIN)/python bench/hits_bench.py
	$(BIN)/python bench/report_bench.py

clean:
	rm -rf build public var bench/out .pytest_cache .ruff_cache
