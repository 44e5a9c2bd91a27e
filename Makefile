# Tengja: `make run` starts it with demo data; `make test` runs every check.
# Both create .venv on first use and reuse it after.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One stamp for what runs the product, one for the test tools on top: each
# reinstalls when its lock (or pyproject.toml) changes.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.lock requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test venv venv-dev system-packages node-packages lint messages lock clean

# What runs the product (make run): requirements.lock only.
venv: $(RUN_STAMP)

$(RUN_STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-run-*
	@touch $@

# And the test tools (make test): requirements-dev.lock.
venv-dev: $(DEV_STAMP)

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

# Debian's Chromium for the browser tests, GNU gettext for the translation check,
# Node.js's npm for axe-core (accessibility rules the browser tests run), coturn's
# turnserver for the video call through a TURN relay (the test starts its own on
# loopback; Debian's coturn service stays off unless /etc/default/coturn enables it),
# nginx for serving as "Running at scale" does (the tests run their own as an
# ordinary process on loopback ports, with deploy/nginx/'s configuration).
system-packages:
	@if [ ! -x $(CHROMIUM) ] || ! command -v xgettext >/dev/null || ! command -v npm >/dev/null \
			|| ! command -v turnserver >/dev/null || [ ! -x /usr/sbin/nginx ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium gettext coturn nginx \
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

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

# The suite in two runs: everything but the browser in one process per core
# (pytest-xdist), then the browser tests one at a time (each drives Chromium and
# a live server, and the video calls time their connections).
test: venv-dev system-packages node-packages lint
	$(VENV)/bin/pytest -n 2 -m "not browser"
	$(VENV)/bin/pytest -m browser

# Refresh the translation catalogues after changing UI text (needs GNU gettext).
messages: venv-dev
	$(PY) manage.py makemessages --locale is --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale is --ignore '.venv/*'

# Re-resolve the pinned versions from pyproject.toml's ranges: what runs the
# product into requirements.lock, the test tools on top into requirements-dev.lock.
lock:
	rm -rf /tmp/tengja-lock && $(PYTHON) -m venv /tmp/tengja-lock
	/tmp/tengja-lock/bin/pip install --quiet .
	{ echo "# What runs the product: make run installs only this. make lock writes it from pyproject.toml."; \
	  /tmp/tengja-lock/bin/pip freeze --exclude tengja; } > requirements.lock
	/tmp/tengja-lock/bin/pip install --quiet ".[dev]"
	{ echo "# The test tools, on top of what runs the product (requirements.lock). make lock writes both."; \
	  echo "-r requirements.lock"; \
	  /tmp/tengja-lock/bin/pip freeze --exclude tengja | grep -vxFf requirements.lock; } > requirements-dev.lock

clean:
	rm -rf $(VENV) var node_modules
