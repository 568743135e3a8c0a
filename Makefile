# amane: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := chromium chromium-driver fonts-noto-core fonts-hosny-amiri fonts-dejavu-core fonts-liberation \
  fonts-opendin fonts-roboto-unhinted fonts-bebas-neue fonts-kacst

.PHONY: setup demo test lint typecheck pytest bench train-deps clean

setup: $(STAMP) node_modules/.installed system-packages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps 'rapidocr-onnxruntime==1.4.4'
	@# Exactly one OpenCV distribution: a stray opencv-python would overwrite cv2/ from the headless one.
	@if $(BIN)/pip show -q opencv-python >/dev/null 2>&1; then \
	  $(BIN)/pip uninstall -q -y opencv-python && \
	  $(BIN)/pip install -q --force-reinstall --no-deps 'opencv-python-headless>=4.9,<5'; fi
	@touch $@

LEAFLET_DIR := src/amane/center/web/static/vendor/leaflet

# The dashboard's map library comes from npm and is served by the centre itself (never from a CDN).
node_modules/.installed: package.json
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
	 else npm install --no-audit --no-fund --loglevel=error; fi
	@mkdir -p $(LEAFLET_DIR) && cp -r node_modules/leaflet/dist/. $(LEAFLET_DIR)/
	@touch $@

# Debian packages the browser tests and the plate renderer use; installed only when missing.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
	      || echo "warning: could not install$$missing (browser tests will skip)"; \
	  else echo "note: Debian packages missing:$$missing (browser tests will skip)"; fi; \
	fi

demo: setup
	$(BIN)/amane demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

test: setup lint typecheck pytest

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick --json .bench/$$(basename $$b .py).json || exit 1; done

# Training-time extras (never needed at run time): the local CPU build of PyTorch and ONNX.
train-deps: $(STAMP)
	$(BIN)/pip install -q torch==2.13.0 'onnx>=1.16'

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .bench
