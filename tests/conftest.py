"""Suite-wide set-up: the built-in toy projects exist before any test (or xdist worker) runs.

Tests and the tools they start read ``data/toy``, ``data/toy_multiview`` (the multiview
configs) and ``data/toy_small`` (the crop-zoom configs); generating them once here, in the main
pytest process, keeps parallel workers from generating them at the same time.
"""
from pathlib import Path

import pytest

from posekit.datasets.toy import ensure_toy_data

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Generate the toy projects in the controlling process (not in xdist workers)."""
    if not hasattr(config, 'workerinput'):
        ensure_toy_data(str(ROOT / 'data' / 'toy'))
        ensure_toy_data(str(ROOT / 'data' / 'toy_multiview'), multiview=True)
        ensure_toy_data(str(ROOT / 'data' / 'toy_small'), small_figure=True)
