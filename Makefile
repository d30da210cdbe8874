# Two commands matter: `make demo` (monitor on simulated devices) and `make test`.
# Each creates the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench bench-quick run screenshots bundle clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/infusion-monitor demo

run: $(STAMP)
	$(BIN)/infusion-monitor run

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# Every module's logic in about a minute: the suite without the tests marked slow (CI runs them all).
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow"

# Every screen and dialog as PNG at 1366x768 and 1920x1080, on a light and a dark desktop:
# make screenshots DIR=folder (on a throwaway X server when there is no display).
screenshots: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make screenshots DIR=folder" >&2; exit 2; }
	$(if $(DISPLAY),QT_QPA_PLATFORM=xcb $(BIN)/python -m ui.gallery "$(DIR)",\
	xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb $(BIN)/python -m ui.gallery "$(DIR)")

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# every benchmark small, in about two minutes: checks they run, gives no figures to quote
bench-quick: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench --quick

# The self-contained app folder dist/infusion-monitor/ (PyInstaller, packaging/infusion-monitor.spec): it runs
# on a machine with no Python. The same spec builds on Windows and macOS (README, IT section).
$(VENV)/.bundle-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bundle]"
	touch $@

bundle: $(VENV)/.bundle-installed
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
	    packaging/infusion-monitor.spec
	@echo "built dist/infusion-monitor/ ($$(du -sh dist/infusion-monitor | cut -f1)): dist/infusion-monitor/infusion-monitor --version"

clean:
	rm -rf $(VENV) build dist *.egg-info
