# The two commands of the README: `make run` and `make test`. Everything else is set-up they share.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint assets install lock clean

run: $(VENV)/.installed static/dist/.built
	$(BIN)/placements db upgrade
	$(BIN)/placements demo --if-empty
	$(BIN)/placements serve --port $(PORT)

test: $(VENV)/.installed static/dist/.built
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

install: $(VENV)/.installed

assets: static/dist/.built

# Exactly the versions (and hashes) in requirements.lock; the service itself is installed on top.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# After changing a dependency in pyproject.toml: resolve again and write requirements.lock.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--quiet --output-file requirements.lock

# GOV.UK Frontend and axe-core come from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/.built: node_modules/.installed assets/build.mjs assets/app.scss assets/app.js
	npm run --silent build
	touch $@

clean:
	rm -rf $(VENV) node_modules static/dist placements.sqlite3*
