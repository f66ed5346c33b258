# One place for every set-up and check command; the README and .ci/run call these.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test check lint format screenshots walkthrough bench clean icons \
	install-desktop uninstall-desktop bundle packaging-test bundle-test

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: on CI machines it resolves to the local CPU build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# The app's main job: render the demo story on preview models and print where it went.
demo: setup
	$(BIN)/python -m storyboard_app.demo

PYTEST := QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

# Where the machine allows it (root, util-linux's unshare, iproute2's ip) the tests run in a
# network namespace of their own with only loopback: nothing can reach past 127.0.0.1, and
# the Ray tests, which need exactly that, run too (elsewhere they are skipped, and say so).
test: setup
	@if unshare -n true 2>/dev/null && command -v ip >/dev/null 2>&1; then \
		echo "tests in a network namespace with only loopback"; \
		unshare -n sh -c 'ip link set lo up && $(PYTEST) $(ARGS)'; \
	else \
		$(PYTEST) $(ARGS); \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

# The desktop app on the demo story after a 2-round preview run, under Xvfb
# (apt: xvfb libxcb-cursor0, which Qt's xcb plugin needs).
screenshots: setup
	xvfb-run -a -s "-screen 0 1920x1200x24" $(BIN)/python -m storyboard_app.ui.screenshots docs/screenshots

# A writer's walk through the real app with real input (xdotool under Xvfb), one screenshot
# per step (apt: xvfb xdotool libxcb-cursor0).
walkthrough: setup
	xvfb-run -a -s "-screen 0 1920x1200x24" $(BIN)/python -m storyboard_app.ui.walkthrough docs/screenshots/walkthrough

bench: setup
	$(BIN)/python bench/engine_scaling.py

# Desktop integration for this user (menu entry, file type, icons, thumbnails), running the
# programs of this checkout's .venv; again to refresh it. See docs/INSTALL.md.
install-desktop: setup
	packaging/linux/install-desktop.sh --bindir "$(abspath $(BIN))"

uninstall-desktop:
	packaging/linux/install-desktop.sh --uninstall

# The icon's PNG sizes from its SVG (kept in the repository).
icons: setup
	$(BIN)/python packaging/icons/render_pngs.py

# A one-folder bundle of the app and the CLI, dist/storyiter-studio/, with this .venv's torch
# build (CPU here). See docs/INSTALL.md.
bundle: setup
	$(BIN)/pip install -q -e ".[dev,bundle]"
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/storyiter-studio.spec

# The slow packaging checks CI runs after `make check` (minutes each: docs/BENCHMARKS.md):
# the installer's real offline install into a temp home, and the bundle built and started.
packaging-test: setup
	STORYITER_PACKAGING_TESTS=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q \
		-p no:cacheprovider --durations=5 tests/packaging/test_installer.py

bundle-test: bundle
	STORYITER_PACKAGING_TESTS=1 STORYITER_BUNDLE_DIR="$(abspath dist/storyiter-studio)" \
		$(BIN)/python -m pytest -q -p no:cacheprovider --durations=5 tests/packaging/test_bundle.py

clean:
	rm -rf $(VENV) build dist *.egg-info
