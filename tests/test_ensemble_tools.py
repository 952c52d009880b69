"""tools/ensemble.py, predict.py with an ensemble, smooth.py and select_frames.py, end to end."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from posekit.datasets.io import read_dlc_csv
from posekit.inference.eks import eks_available
from .tool_runs import cut_video
from .test_tools import FAST

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / 'data' / 'toy' / 'videos_test' / 'session3.mp4'

pytestmark = pytest.mark.slow


def run(*args, check=True):
    result = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                            text=True)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    return result


@pytest.fixture(scope='module')
def ensemble(tmp_path_factory):
    """Two one-epoch members (seeds 0 and 1) and their predictions of a 40-frame clip."""
    root = tmp_path_factory.mktemp('ensemble')
    run('tools/ensemble.py', 'configs/heatmap.py', '--seeds', '0', '1', '--work-dir',
        root / 'ens', '--cfg-options', 'train_cfg.max_epochs=1', *FAST)
    clip = cut_video(VIDEO, root / 'clip.mp4', start=100)
    result = run('tools/predict.py', 'configs/heatmap.py', root / 'ens', clip,
                 '--smooth', 'eks', '--batch-size', '8')
    return root, result.stdout


def test_ensemble_manifest_lists_the_trained_members(ensemble):
    root, _ = ensemble
    manifest = json.loads((root / 'ens' / 'ensemble.json').read_text())
    assert manifest == {'members': [
        {'work_dir': 'member0_seed0', 'config': 'member0_seed0/heatmap.py', 'seed': 0},
        {'work_dir': 'member1_seed1', 'config': 'member1_seed1/heatmap.py', 'seed': 1}]}
    for member in manifest['members']:
        dump = (root / 'ens' / member['config']).read_text()
        assert f"randomness = dict(seed={member['seed']})" in dump


def test_ensemble_prediction_files(ensemble):
    root, stdout = ensemble
    preds = root / 'ens' / 'video_preds'
    members = [pd.read_csv(preds / f'clip_member{i}.csv', header=[0, 1, 2], index_col=0)
               for i in range(2)]
    assert all(m.shape == (40, 42) for m in members)
    assert not np.allclose(members[0].to_numpy(), members[1].to_numpy())  # seeds differ
    mean = pd.read_csv(preds / 'clip_ensemble_mean.csv', header=[0, 1, 2], index_col=0)
    np.testing.assert_allclose(mean.to_numpy(), (members[0].to_numpy() +
                                                 members[1].to_numpy()) / 2, atol=1e-6)
    variance = pd.read_csv(preds / 'clip_ensemble_variance.csv', index_col=0)
    a, b = (read_dlc_csv(preds / f'clip_member{i}.csv').keypoints for i in range(2))
    np.testing.assert_allclose(variance.to_numpy(), ((a - b) ** 2).sum(-1) / 4, atol=1e-6)
    method = 'eks' if eks_available() else 'kalman'
    smoothed = pd.read_csv(preds / f'clip_{method}.csv', header=[0, 1, 2], index_col=0)
    assert smoothed.shape == (40, 14 * 9)
    assert np.isfinite(smoothed.xs('x', axis=1, level=2).to_numpy()).all()
    assert f'clip_{method}.csv' in stdout


def test_smooth_tool_savgol(ensemble):
    root, _ = ensemble
    preds = root / 'ens' / 'video_preds'
    result = run('tools/smooth.py', preds / 'clip_member0.csv', preds / 'clip_member1.csv',
                 '--method', 'savgol', '--window', '5', '--out-dir', root / 'smoothed')
    assert result.stdout.startswith('savgol of 2 prediction(s), parameters [5, 2]')
    table = pd.read_csv(root / 'smoothed' / 'clip_savgol.csv', header=[0, 1, 2], index_col=0)
    median = table.xs('x_ens_median', axis=1, level=2).to_numpy()
    x = table.xs('x', axis=1, level=2).to_numpy()
    assert np.abs(x - median).max() > 0 and np.isfinite(x).all()


def test_select_frames_picks_the_highest_variance_frames_apart(ensemble, tmp_path):
    root, _ = ensemble
    preds = root / 'ens' / 'video_preds'
    variance = pd.read_csv(preds / 'clip_ensemble_variance.csv', index_col=0).mean(axis=1)
    order = list(variance.sort_values(ascending=False, kind='stable').index)
    expected = []
    for frame in order:  # greedy, at least 5 frames apart
        if all(abs(frame - other) >= 5 for other in expected):
            expected.append(frame)
    result = run('tools/select_frames.py', preds, '--n', 3, '--by', 'ensemble_var',
                 '--videos', root / 'clip.mp4', '--min-gap', 5, '--project-dir', tmp_path)
    assert result.stdout.splitlines()[-1] == (
        f'3 frames picked by ensemble_var; 3 rows added to {tmp_path / "CollectedData.csv"}')
    labels = read_dlc_csv(str(tmp_path / 'CollectedData.csv'))
    assert labels.image_paths == [f'labeled-data/clip/img{t:08d}.png' for t in expected[:3]]
    assert len(labels.keypoint_names) == 14 and np.isnan(labels.keypoints).all()
    image = cv2.imread(str(tmp_path / labels.image_paths[0]))
    assert image.shape == (160, 160, 3)
    # a second round skips the labeled frames and their neighbours, keeps the old rows
    run('tools/select_frames.py', preds, '--n', 2, '--by', 'confidence', '--videos',
        root / 'clip.mp4', '--min-gap', 5, '--project-dir', tmp_path)
    again = read_dlc_csv(str(tmp_path / 'CollectedData.csv'))
    assert again.image_paths[:3] == labels.image_paths and len(again.image_paths) == 5
    frames = [int(p[-12:-4]) for p in again.image_paths]
    assert all(abs(a - b) >= 5 for i, a in enumerate(frames) for b in frames[:i])


def test_select_frames_names_a_missing_signal(ensemble, tmp_path):
    root, _ = ensemble
    result = run('tools/select_frames.py', root / 'ens' / 'video_preds', '--by', 'pca',
                 '--videos', root / 'clip.mp4', '--project-dir', tmp_path, check=False)
    assert result.returncode == 1
    assert "no predictions with a 'pca' signal" in result.stderr


def test_predict_one_model_with_formats_and_smoothing(ensemble, tmp_path):
    pytest.importorskip('tables', reason="the 'h5' extra (pip install 'posekit[h5]') is not "
                                         'installed')
    pytest.importorskip('ndx_pose', reason="the 'nwb' extra (pip install 'posekit[nwb]') is "
                                           'not installed')
    root, _ = ensemble
    result = run('tools/predict.py', 'configs/heatmap.py', root / 'ens' / 'member0_seed0',
                 root / 'clip.mp4', '--format', 'csv,h5,nwb', '--smooth', 'savgol',
                 '--out-dir', tmp_path, '--batch-size', '8')
    preds = tmp_path / 'video_preds'
    assert '\ndone: ' in '\n' + result.stdout
    for name in ('clip.csv', 'clip.h5', 'clip.nwb', 'clip_savgol.csv'):
        assert (preds / name).is_file(), name
    # the extra files count in the video's done-marker (a rerun skips the video)
    assert set(json.loads((preds / 'clip.done.json').read_text())['files']) >= {
        'clip.csv', 'clip.h5', 'clip.nwb', 'clip_savgol.csv'}
    csv = pd.read_csv(preds / 'clip.csv', header=[0, 1, 2], index_col=0)
    np.testing.assert_allclose(pd.read_hdf(preds / 'clip.h5').to_numpy(), csv.to_numpy())
    bad = run('tools/predict.py', 'configs/heatmap.py', root / 'ens' / 'member0_seed0',
              root / 'clip.mp4', '--format', 'csv,xls', check=False)
    assert bad.returncode == 2
    assert "--format: unknown format 'xls'; choose from csv,h5,nwb" in bad.stderr
