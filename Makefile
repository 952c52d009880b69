# posekit: `make demo` trains, tests and predicts on the built-in toy data; `make test` runs
# the test suite under Python 3.11 (.venv) and its fast part under Python 3.12 (.venv312);
# `make benchmark` prints the speed figures of docs/benchmarks.md. Each creates its venv on
# first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.12: python3.12 where it runs, else pyenv's newest 3.12 (pyenv's shim for
# python3.12 fails while another version is selected)
PYTHON312 ?= $(shell python3.12 -c '' 2>/dev/null && echo python3.12 || { \
	v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$$' | tail -n 1); \
	test -n "$$v" && echo "$$(pyenv root)/versions/$$v/bin/python3.12"; })
VENV312 := .venv312
PY312 := $(VENV312)/bin/python
CONFIG ?= configs/heatmap_semi.py
WORK_DIR ?= work_dirs/demo

.PHONY: install demo test test-311 test-312 benchmark clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV312)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo 'make test-312: no Python 3.12 found (python3.12 or' \
		'pyenv); set PYTHON312=/path/to/python3.12, or run `make test-311` alone' >&2; exit 1; }
	test -x $(PY312) || $(PYTHON312) -m venv $(VENV312)
	$(PY312) -m pip install --quiet -e . 'pytest>=8' 'pytest-xdist==3.8.0'  # fast tests only: no heavy extras (their tests skip)
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) tools/train.py $(CONFIG) --work-dir $(WORK_DIR)
	$(PY) tools/test.py $(CONFIG) $(WORK_DIR)
	$(PY) tools/predict.py $(CONFIG) $(WORK_DIR) data/toy/videos_test/session3.mp4 --save-video

# both venvs install side by side (pip is mostly single-threaded), then the suites run one
# after the other, each on every core: one pytest-xdist worker a core, one torch thread each
test:
	$(MAKE) -j2 install $(VENV312)/.installed
	$(MAKE) test-311 test-312

test-311: install
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n auto

test-312: $(VENV312)/.installed
	OMP_NUM_THREADS=1 $(PY312) -m pytest -q -n auto -m 'not slow'

benchmark: install
	$(PY) tools/make_toy_data.py
	$(PY) benchmarks/inference.py --config configs/heatmap.py \
		--video data/toy/videos_test/session3.mp4
	$(PY) benchmarks/semi_step.py configs/heatmap_semi.py
	$(PY) benchmarks/train_throughput.py configs/mirror_mouse/heatmap.py

clean:
	rm -rf work_dirs data/toy
