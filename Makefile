# Two commands do all set-up:  `make demo` (train the demo classifier, write its pictures to out/)
# and `make test` (lint and run the test suite). Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[graph,plots]'
	touch $@

$(VENV)/.test: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[graph,plots,test,torch]'
	touch $@

$(VENV)/.bench: $(BIN)/python setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.demo
	$(BIN)/python -m demos.moons

test: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(VENV)/.bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) out build *.egg-info
