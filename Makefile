# The two commands a new user needs are `make book` and `make test`; CI runs `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# Test processes: the suite is mostly whole builds, which leave a core idle between
# their steps; two processes keep both cores of a CI machine busy.
TEST_JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help book test browser preview bench pdf release clean lock data

help: ## Show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Reinstall only when the dependency declarations change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $(STAMP)

book: $(STAMP) ## Set up, run every notebook on the bundled data and build the book
	$(PY) -m analysis build --jobs $(JOBS)

# --dist worksteal: a process that runs out of tests takes pending ones from the other, so
# the long book builds do not leave one process working alone at the end.
test: $(STAMP) browser ## Run the test suite (with the real-browser test)
	$(PY) -m pytest -n $(TEST_JOBS) --dist worksteal

# The browser test injects axe-core (the accessibility rules engine, pinned in
# tests/browser/package-lock.json) into every page: installed here with npm, never
# fetched at test time. Without npm the accessibility checks skip, saying so loudly.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  { npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null && touch $@; } || \
	  echo "!!! npm ci failed: the accessibility checks of the browser test will be SKIPPED !!!"; \
	else echo "!!! npm missing: the accessibility checks of the browser test will be SKIPPED !!!"; fi

# The browser test and the PDF drive Debian's Chromium. Install it when it is missing and
# apt-get can (as root, or with password-less sudo); otherwise say so: the test then
# skips loudly, and `make pdf` says what to install.
browser: $(AXE)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  echo "installing Debian's chromium and chromium-driver for the browser test"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
	  $$SUDO apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null || \
	  { $$SUDO apt-get update >/dev/null && \
	    $$SUDO apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null; } || \
	  echo "!!! could not install chromium: the browser test will be SKIPPED !!!"; \
	else echo "!!! chromium/chromedriver missing and apt-get unavailable: the browser test will be SKIPPED !!!"; fi

preview: $(STAMP) ## Serve the book on localhost; rebuild and reload on every change
	$(PY) -m analysis preview

bench: $(STAMP) ## Time clean, no-op and one-file rebuilds; writes _build/bench.json
	$(PY) -m benchmarks

pdf: $(STAMP) browser ## Build the book and print it as one PDF (_build/pdf/book.pdf)
	$(PY) -m analysis build --jobs $(JOBS)
	$(PY) -m analysis pdf

release: $(STAMP) browser ## Archive the built book, and its PDF, as releases/<version>/
	$(PY) -m analysis release

data: $(STAMP) ## Regenerate data_synthetic/ from the default seed
	$(PY) -m analysis synth --seed 20201215 --out data_synthetic

lock: $(STAMP) ## Rewrite requirements.lock from the installed environment
	@{ echo "# Full lock of the environment the book is built and tested in (pip constraints)."; \
	   echo "# Regenerate with: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -v -E '^(pip|setuptools)=='; } > requirements.lock

clean: ## Remove the build output (keeps .venv and releases/)
	rm -rf _build
