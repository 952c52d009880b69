"""Heatmaps written batch by batch into one .npy file, renamed into place only on success."""
import numpy as np
import pytest
import torch

from posekit.inference.heatmaps import HeatmapFile


def test_batches_land_at_their_frames(tmp_path):
    path = tmp_path / 'sub' / 'maps.npy'
    maps = torch.arange(5 * 2 * 3 * 4, dtype=torch.float32).reshape(5, 2, 3, 4) / 8
    with HeatmapFile(str(path), 5) as heatmaps:
        heatmaps.write(3, maps[3:])
        heatmaps.write(0, maps[:3])
    saved = np.load(path)
    assert saved.dtype == np.float16 and saved.shape == (5, 2, 3, 4)
    np.testing.assert_array_equal(saved, maps.numpy().astype(np.float16))
    assert sorted(p.name for p in path.parent.iterdir()) == ['maps.npy']


def test_an_error_leaves_no_file(tmp_path):
    path = tmp_path / 'maps.npy'
    with pytest.raises(RuntimeError, match='decoder failed'):
        with HeatmapFile(str(path), 4) as heatmaps:
            heatmaps.write(0, torch.ones(2, 1, 2, 2))
            raise RuntimeError('decoder failed')
    assert list(tmp_path.iterdir()) == []
