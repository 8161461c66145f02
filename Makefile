# Contact Desk. Two commands for a newcomer:  make demo  |  make test
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export QT_API := pyside6

.PHONY: setup sysdeps demo sandbox test lint types pytest test-keychain bench build clean

# System libraries Qt needs on a bare Debian/Ubuntu (installed only when missing, as root or via sudo).
QT_DEBS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
           libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
           libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 curl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

sysdeps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=$$(for p in $(QT_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then echo "Installing: $$missing"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi; \
	fi

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: sysdeps $(STAMP)

## Open the app in practice mode (simulated accounts, nothing real is touched).
demo: setup
	$(BIN)/contactdesk --practice

## Run the two practice simulators standalone and print their URLs and keys (for curl).
sandbox: setup
	$(BIN)/python -m contactdesk.sandbox

## The whole suite: lint, types, tests.
test: setup lint types pytest test-keychain

lint:
	$(BIN)/ruff check gui tests bench packaging
	$(BIN)/ruff format --check gui tests bench packaging

types:
	$(BIN)/mypy

pytest:
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## Real keychain tests: a throw-away GNOME Keyring under dbus-run-session (installs it if missing).
test-keychain: setup
	scripts/test-keychain.sh

## Build a desktop bundle (PyInstaller onedir) and smoke-test it with --self-check.
build: setup
	$(BIN)/python -m pip install -q -e '.[packaging]'
	$(BIN)/python packaging/build.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
