# casa-nep: the two commands are `make demo` and `make test` (both set themselves up).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PLUGIN := casa_nep_plugin
VERSION := $(shell sed -n 's/^version=//p' $(PLUGIN)/metadata.txt)
export QT_QPA_PLATFORM := offscreen
export PROJ_DATA ?= /usr/share/proj
export PYTHONPATH := $(CURDIR)

.PHONY: setup test test-core test-matrix help translations screenshots demo package bench lint check sample clean

$(VENV)/.casanep-ready: scripts/setup.sh
	bash scripts/setup.sh
	touch $@

setup: $(VENV)/.casanep-ready

test: setup  ## the full test suite (core, algorithms through Processing, qgis_process)
	$(PY) -m pytest

test-core: setup  ## only the QGIS-free core
	$(PY) -m pytest tests/core

test-matrix:  ## the suite in Debian 13 (QGIS 3.40) and testing (QGIS 3.44) chroots, as root
	bash scripts/test-matrix.sh

demo: setup  ## the whole workflow on the embedded synthetic sample, through qgis_process
	bash scripts/demo.sh

help: setup  ## regenerate the HTML help pages shipped in casa_nep_plugin/help (from the algorithms)
	$(PY) scripts/make_help.py

translations: setup  ## the translation template casa_nep_plugin/i18n/casanep.ts (Qt Linguist)
	$(PY) scripts/make_translations.py

screenshots: setup  ## dialogs, modeler, toolbox and a styled map under Xvfb, into docs/screenshots (*_qgisX.Y.png)
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) scripts/screenshots.py docs/screenshots

sample:  ## regenerate the synthetic sample data shipped in resources/sample
	$(PY) scripts/make_sample.py

package: setup  ## installable plugin zip in dist/ (no tests, no caches), checked against the repository's rules
	$(PY) scripts/package.py
	$(PY) scripts/check_zip.py dist/casa_nep_plugin-$(VERSION).zip

BENCH_VENV ?= .venv-bench
BENCH_ARGS ?=
bench: setup  ## speed and memory benchmarks, ~30 min (BENCH_ARGS=--quick: a few minutes); see bench/README.md
	bash bench/setup_venv.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/run_all.py $(BENCH_ARGS)

check: setup  ## lint, format and types: ruff check, ruff format --check, mypy on core/ (settings in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

lint: check  ## the same as check

clean:
	rm -rf dist .qgis-profile demo-output .pytest_cache
