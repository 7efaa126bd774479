# BinaBoard: `make run` serves the app with demo data and a task worker; `make test` runs the whole suite;
# `make serve` runs the production configuration (gunicorn, DEBUG off) locally.
# All of them set everything up on a fresh machine first.

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8000
# Tests run in parallel, one worker per core (pytest-xdist); TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto

# The first Python 3.12+ on PATH, then pyenv's installed versions.
PYTHON_FOR_VENV := $(shell for p in python3.14 python3.13 python3.12; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; exit 0; }; done; \
	for root in "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*; do \
	  [ -x "$$root/bin/python3" ] && { echo "$$root/bin/python3"; exit 0; }; done; \
	p=$$(command -v python3); [ -n "$$p" ] && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$p)

.PHONY: setup setup-dev run worker serve test lint bench browser clean vendor messages

$(VENV)/bin/python:
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
	  echo "BinaBoard needs Python 3.12 or newer. Install it (e.g. 'pyenv install 3.12' or your package manager's python3.12) and run make again."; exit 1; fi
	$(PYTHON_FOR_VENV) -m venv $(VENV)

# The runtime only (what a server needs) ...
$(STAMP): requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# ... and the test and lint tools on top of it.
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(DEV_STAMP)

setup: $(STAMP)
setup-dev: $(DEV_STAMP)

# Development server with demo data: DEBUG on, http://127.0.0.1:$(PORT)/ (`make run PORT=9000`), and one
# task worker beside it (TASKS_BACKEND, default the database); Ctrl-C stops both, as does the server ending.
run: export DEBUG ?= 1
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

# One task worker alone (production runs them under systemd: docs/DEPLOY.md, "Workers").
worker: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py worker

# The production configuration on this machine: DEBUG off, hashed static files, gunicorn with
# gunicorn.conf.py on http://127.0.0.1:$(PORT)/. Without SECRET_KEY or SECRET_KEY_FILE it generates a key
# once into .secret_key (git-ignored). Plain HTTP here, so the HTTPS redirect and secure cookies are off
# unless set; behind a TLS proxy leave them on (docs/DEPLOY.md).
serve: export DEBUG := 0
serve: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export SECURE_SSL_REDIRECT ?= 0
serve: export SESSION_COOKIE_SECURE ?= 0
serve: export CSRF_COOKIE_SECURE ?= 0
serve: export SECURE_HSTS_SECONDS ?= 0
serve: export PORT := $(PORT)
serve: setup
	@if [ -z "$$SECRET_KEY" ] && [ -z "$$SECRET_KEY_FILE" ] && [ ! -s .secret_key ]; then \
	  (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key) && \
	  echo "Generated a secret key into .secret_key (git-ignored); set SECRET_KEY or SECRET_KEY_FILE to use your own."; fi
	@[ -n "$$SECRET_KEY" ] || [ -n "$$SECRET_KEY_FILE" ] || echo "Using the secret key in .secret_key."
	@export SECRET_KEY_FILE=$${SECRET_KEY_FILE:-$$( [ -n "$$SECRET_KEY" ] || echo $(CURDIR)/.secret_key)}; \
	  $(PY) manage.py collectstatic --noinput --verbosity 0 && \
	  $(PY) manage.py migrate --noinput && \
	  exec $(VENV)/bin/gunicorn --config gunicorn.conf.py

# Browser tests need Chromium; install Debian's package when it is missing and we are allowed to.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CHROMIUM_PATH" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) \
	    || echo "Could not install Chromium: browser tests will be skipped."; \
	  else echo "Chromium not found (apt-get install chromium): browser tests will be skipped."; fi; fi

test: export DEBUG ?= 1
test: setup-dev browser
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=10 $(PYTEST_ARGS)

lint: setup-dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: export DEBUG ?= 1
bench: setup-dev
	$(PY) bench/run_all.py

# Refresh the vendored front-end files from npm (versions pinned here; licences kept beside them).
SORTABLE_VERSION := 1.15.7
VAZIRMATN_VERSION := 33.0.3
AXE_VERSION := 4.14.1
vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent sortablejs@$(SORTABLE_VERSION) axe-core@$(AXE_VERSION) >/dev/null \
	  && mkdir s a && tar -xzf sortablejs-$(SORTABLE_VERSION).tgz -C s && tar -xzf axe-core-$(AXE_VERSION).tgz -C a \
	  && cp s/package/Sortable.min.js s/package/LICENSE $(CURDIR)/static/vendor/sortablejs/ \
	  && echo "sortablejs $(SORTABLE_VERSION) (npm: npm pack sortablejs@$(SORTABLE_VERSION)), MIT" > $(CURDIR)/static/vendor/sortablejs/VERSION \
	  && cp a/package/axe.min.js a/package/LICENSE a/package/LICENSE-3RD-PARTY.txt $(CURDIR)/tests/e2e/vendor/axe-core/ \
	  && echo "axe-core $(AXE_VERSION) (npm: npm pack axe-core@$(AXE_VERSION)), MPL-2.0" > $(CURDIR)/tests/e2e/vendor/axe-core/VERSION \
	  && npm pack --silent vazirmatn@$(VAZIRMATN_VERSION) >/dev/null && mkdir v && tar -xzf vazirmatn-$(VAZIRMATN_VERSION).tgz -C v \
	  && cp "v/package/fonts/webfonts/Vazirmatn[wght].woff2" $(CURDIR)/static/vendor/vazirmatn/Vazirmatn-wght.woff2 \
	  && cp v/package/OFL.txt $(CURDIR)/static/vendor/vazirmatn/ \
	  && echo "vazirmatn $(VAZIRMATN_VERSION) (npm: npm pack vazirmatn@$(VAZIRMATN_VERSION); fonts/webfonts/Vazirmatn[wght].woff2), SIL Open Font License 1.1" > $(CURDIR)/static/vendor/vazirmatn/VERSION \
	  && rm -rf $$tmp && echo "vendored sortablejs $(SORTABLE_VERSION), axe-core $(AXE_VERSION), vazirmatn $(VAZIRMATN_VERSION)"

# Refresh the translation catalogues from the code, then compile them (the compiled files are committed,
# so running the app needs no gettext tools). Needs GNU gettext (apt-get install gettext).
messages: setup
	$(PY) manage.py makemessages -l fa --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=static/vendor
	$(PY) manage.py makemessages -d djangojs -l fa --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=static/vendor
	$(PY) manage.py compilemessages -l fa

clean:
	rm -rf $(VENV) db.sqlite3* test*.sqlite3* media staticfiles
