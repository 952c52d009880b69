"""A video's output files: prediction CSV, heatmaps, temporal norm, traces."""
import numpy as np
import pandas as pd

from posekit.apis import write_video_outputs
from .conftest import NAMES, NUM_FRAMES, heatmaps_of


def test_outputs_csv_reads_back_and_heatmaps_match(model, video, tmp_path):
    outputs = write_video_outputs(model, video, str(tmp_path), batch_size=16,
                                  save_heatmaps=True, progress=False)
    preds = pd.read_csv(tmp_path / 'clip.csv', header=[0, 1, 2], index_col=0)
    assert preds.shape == (NUM_FRAMES, 9)
    np.testing.assert_allclose(preds.to_numpy(), outputs.predictions.to_numpy())
    heatmaps = np.load(tmp_path / 'clip_heatmaps.npy')
    assert heatmaps.dtype == np.float16 and heatmaps.shape == (NUM_FRAMES, 3, 16, 24)
    np.testing.assert_allclose(heatmaps, heatmaps_of(0, NUM_FRAMES).numpy(), atol=1e-3)
    norms = pd.read_csv(tmp_path / 'clip_temporal_norm.csv', index_col=0)
    assert list(norms.columns) == NAMES and norms.iloc[0].isna().all()
    assert (tmp_path / 'clip_traces.png').stat().st_size > 10_000
    assert not list(tmp_path.glob('*pca*'))  # no PCA loss, no PCA file
    assert str(tmp_path / 'clip.csv') == outputs.paths[0]
