# Two commands do all set-up:  `make demo` (train the demo classifier, write its pictures to out/)
# and `make test` (lint and run the test suite). Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench bench-docs bench-site bench-serve clean test-pypy site serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[graph,plots]'
	touch $@

$(VENV)/.test: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[graph,plots,test,torch]'
	touch $@

$(VENV)/.site: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.bench: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.demo
	$(BIN)/python -m demos.moons

test: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(VENV)/.bench
	$(BIN)/python -m bench

# The zero-install workshop (docs/workshop.md): a static folder to copy to a USB stick or a
# LAN server. Needs only the standard library; fetches the pinned Pyodide core, Viz.js and
# the editor's npm packages once (kept in ~/.cache/scalargrad-workshop).
# `make serve` serves it at localhost:8000 with the isolation headers (Stop then interrupts a
# cell in place); SERVE_FLAGS="--host 0.0.0.0" lets the room's laptops reach it.
SITE ?= site
SERVE_FLAGS ?=
site: $(VENV)/.site
	$(BIN)/python -m scalargrad.workshop build $(SITE)

serve: site
	$(BIN)/python -m scalargrad.workshop serve $(SITE) $(SERVE_FLAGS)

# Record one full run and write its figures into README.md and docs/performance.md.
bench-docs: $(VENV)/.bench
	$(BIN)/python -m bench --clock cpu --json bench/recorded.json
	$(BIN)/python -m bench.docs

# Record the workshop's speed in headless Chromium (page ready, a moons step against CPython)
# and write it into docs/workshop.md. Needs chromium and chromium-driver, as the tests do.
bench-site: $(VENV)/.test
	$(BIN)/python -m bench.site --json bench/site.json
	$(BIN)/python -m bench.site --docs

# PyPy (the README claims it): the engine and nn tests under pypy3, with pytest and hypothesis
# only (no torch, matplotlib or notebook tools; tests needing those skip or are not listed).
# Left to CPython: test_memory and test_huge_graphs (tracemalloc, reference counting) and
# test_model_files_fuzz (its byte-by-byte fuzz takes minutes under PyPy).
PYPY ?= pypy3
PYPY_VENV ?= .venv-pypy
PYPY_TESTS := $(addprefix tests/test_,anomaly.py backward.py edges.py errors.py grad_mode.py \
	gradcheck.py lesson.py ops.py trace.py traps.py display.py lecture_compat.py nn_data.py \
	nn_losses.py nn_module.py nn_optim.py nn_serialize.py nn_train.py forward_duals.py \
	forward_memory.py functional.py hooks.py hooks_returns.py import_graph.py closures.py)

$(PYPY_VENV)/bin/python:
	$(PYPY) -m venv $(PYPY_VENV)
	$(PYPY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYPY_VENV)/bin/python -m pip install --quiet pytest hypothesis

test-pypy: $(PYPY_VENV)/bin/python
	$(PYPY_VENV)/bin/python -m pytest -p no:cacheprovider $(PYPY_TESTS)

clean:
	rm -rf $(VENV) out build *.egg-info $(SITE)
	rm -rf $(PYPY_VENV)

# Record a room of 60 and 200 learners opening lesson 1 at once against our server,
# python3 -m http.server, nginx and Caddy, and write it into docs/workshop.md.
bench-serve: $(VENV)/.test
	$(BIN)/python -m bench.serve_load --json bench/serve.json
	$(BIN)/python -m bench.serve_load --docs
