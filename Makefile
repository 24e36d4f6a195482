# `make run` serves the app; `make test` runs the whole suite. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run prod-local test lint format messages screenshots bench bench-chat bench-timed bench-soak bench-canned bench-reports clean chromium gettext nginx

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m tools.devstack run

# The production shape on this machine: Daphne on :8001 and :8002, a Celery worker and a Celery beat
# as separate processes, DEBUG off, production connection and security defaults (HTTPS only behind a
# TLS proxy). On DATABASE_URL / REDIS_URL when set, else the SQLite file and an embedded Redis.
prod-local: $(STAMP)
	$(PY) -m tools.devstack prod

# Browser tests drive Debian's Chromium through the playwright library (never `playwright install`).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# tests/production/test_compose.py runs deploy/nginx.conf in Debian's nginx (a few seconds to install).
nginx:
	@test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

# The message catalogs (makemessages, msgfmt) need GNU gettext, from Debian too.
gettext:
	@command -v xgettext >/dev/null && command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }

# After changing a translatable text: regenerate locale/*/LC_MESSAGES/*.po, translate the new
# entries, run it again to compile the .mo files, and commit both.
messages: $(STAMP) gettext
	$(PY) -m tools.messages update

test: $(STAMP) chromium gettext nginx
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache
	$(PY) -m tools.messages check
	$(PY) -m tools.devstack test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Measurements for docs/performance.md (loopback only, bounded; results in bench/results/).
# SQLite and embedded Redis by default; set DATABASE_URL / REDIS_URL to measure those servers.
bench: bench-chat bench-timed bench-canned bench-reports

# Latency, loss and CPU per message: the product beside the stock and the tuned bare relay.
bench-chat: $(STAMP)
	$(PY) bench/chat_load.py --plot bench/results/latency.png

# Lateness of scheduled ends and missed-chat deadlines; a worker killed with SIGKILL.
bench-timed: $(STAMP)
	$(PY) bench/timed_work.py

# 5,000 chats (10,000 sockets) held under a trickle of messages for SOAK_SECONDS.
SOAK_SECONDS ?= 600
bench-soak: $(STAMP)
	$(PY) bench/chat_load.py --targets app --chats 5000 --agents 5000 --rates 100 --hold $(SOAK_SECONDS)

bench-canned: $(STAMP)
	$(PY) bench/canned_suggest.py

# p95 of the chat reports (selector and API) per group_by over 100,000 chats.
bench-reports: $(STAMP)
	$(PY) bench/reports.py

# Re-take docs/screenshots/*.png from a live server.
screenshots: $(STAMP) chromium
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m tools.devstack test tests/browser/test_screenshots.py tests/browser/test_canned.py tests/browser/test_handover.py tests/browser/test_visitor_phone.py tests/browser/test_visitor_offline.py tests/browser/test_visitor_queue.py tests/browser/test_visitor_after_chat.py tests/browser/test_visitor_languages.py tests/browser/test_reports.py tests/browser/test_monitor.py tests/browser/test_tickets_bulk.py -q

clean:
	rm -rf $(VENV) .local staticfiles
