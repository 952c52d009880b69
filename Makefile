# posekit: `make demo` trains, tests and predicts on the built-in toy data; `make test` runs
# the test suite; `make benchmark` prints the speed figures of docs/benchmarks.md.
# All create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= configs/heatmap_semi.py
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
	$(PY) tools/predict.py $(CONFIG) $(WORK_DIR) data/toy/videos_test/session3.mp4 --save-video

test: install
	$(PY) -m pytest -q

benchmark: install
	$(PY) tools/make_toy_data.py
	$(PY) benchmarks/inference.py --config configs/heatmap.py \
		--video data/toy/videos_test/session3.mp4
	$(PY) benchmarks/semi_step.py configs/heatmap_semi.py
	$(PY) benchmarks/train_throughput.py configs/mirror_mouse/heatmap.py

clean:
	rm -rf work_dirs data/toy
