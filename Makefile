# Tengja: `make run` starts it with demo data; `make test` runs every check.
# Both create .venv on first use and reuse it after.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test venv system-packages node-packages lint messages lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's Chromium for the browser tests, GNU gettext for the translation check,
# Node.js's npm for axe-core (accessibility rules the browser tests run).
system-packages:
	@if [ ! -x $(CHROMIUM) ] || ! command -v xgettext >/dev/null || ! command -v npm >/dev/null; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium gettext \
			$$(command -v npm >/dev/null || echo nodejs npm); \
	fi

# The test suite's front-end tools, at the versions package-lock.json pins.
node-packages: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*
	@touch $@

run: venv
	@mkdir -p var/static
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py serve

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

test: venv system-packages node-packages lint
	$(VENV)/bin/pytest

# Refresh the translation catalogues after changing UI text (needs GNU gettext).
messages: venv
	$(PY) manage.py makemessages --locale is --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale is --ignore '.venv/*'

# Re-resolve the pinned versions from pyproject.toml's ranges.
lock:
	rm -rf /tmp/tengja-lock && $(PYTHON) -m venv /tmp/tengja-lock
	/tmp/tengja-lock/bin/pip install --quiet ".[dev]"
	/tmp/tengja-lock/bin/pip freeze --exclude tengja > requirements.lock

clean:
	rm -rf $(VENV) var node_modules
