"""Multiview sessions through tools/predict.py and tools/test.py's test_sessions (slow)."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.registry import init_default_scope

from posekit.apis import init_model
from posekit.apis.config import fill_model_info, load_config
from posekit.datasets.io import read_dlc_csv
from posekit.geometry3d import read_calibration, reprojection_errors, triangulate
from posekit.inference.points3d import read_points_3d
from posekit.inference.session_evaluation import evaluate_test_sessions
from posekit.inference.session_runs import predict_session, session_completed
from posekit.inference.sessions import Session
from posekit.registry import MODELS
from .tool_runs import cut_video

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'configs/multiview/heatmap.py'
TOY = ROOT / 'data' / 'toy_multiview'
VIEWS = ['top', 'bottom']
PARTS = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
FRAMES = 12

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work_dir(tmp_path_factory):
    """An untrained multiview model saved as a work dir's checkpoint, and 12-frame videos of
    session 3's views (a complete session, and one lacking its bottom view)."""
    work_dir = tmp_path_factory.mktemp('multiview')
    init_default_scope('posekit')
    cfg = load_config(str(ROOT / CONFIG))
    fill_model_info(cfg, keypoint_names=PARTS)
    torch.manual_seed(0)
    meta = dict(dataset_meta=dict(keypoint_names=PARTS, view_names=VIEWS))
    torch.save(dict(meta=meta, state_dict=MODELS.build(cfg.model).state_dict()),
               work_dir / 'best_pixel_error_epoch_1.pth')
    videos = work_dir / 'videos'
    videos.mkdir()
    for view in VIEWS:
        cut_video(TOY / 'videos_test' / f'session3_{view}.mp4', videos / f'session3_{view}.mp4',
                  0, FRAMES)
    shutil.copy(videos / 'session3_top.mp4', videos / 'lonely_top.mp4')
    return work_dir


def test_predict_sessions_per_view_and_3d(work_dir):
    videos = work_dir / 'videos'
    result = subprocess.run([sys.executable, 'tools/predict.py', CONFIG, str(work_dir),
                             str(videos), '--conf-threshold', '0'], cwd=ROOT,
                            capture_output=True, text=True)
    # the session lacking a view is one error naming it; the complete session is predicted
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert errors == [f"error: session 'lonely' has no video of view(s) ['bottom'] (found "
                      f"['{videos / 'lonely_top.mp4'}'])"]
    out = work_dir / 'video_preds'
    summary = pd.read_csv(out / 'predict_summary.csv', index_col=0)
    label = f'{videos / "session3_top.mp4"};{videos / "session3_bottom.mp4"}'
    assert list(summary.index) == [label]
    assert summary.loc[label, ['name', 'status', 'frames']].tolist() == ['session3', 'done', 12]
    pixels, confidences = [], []
    for view in VIEWS:
        table = read_dlc_csv(str(out / f'session3_{view}.csv'))
        assert table.keypoint_names == PARTS
        assert table.image_paths == [str(i) for i in range(FRAMES)]
        assert table.keypoints.shape == (FRAMES, 7, 2)
        pixels.append(table.keypoints)
        confidences.append(table.likelihood)
    # the 3-D table is the triangulation of the per-view tables through session 3's cameras
    cameras = read_calibration(str(TOY / 'calibrations' / 'session3.toml')).cameras
    points = read_points_3d(str(out / 'session3_3d.csv'), PARTS, FRAMES)
    expected = triangulate(np.stack(pixels), cameras, np.stack(confidences), threshold=0.)
    assert np.isfinite(points).all()
    np.testing.assert_allclose(points, expected, rtol=1e-9, atol=1e-9)
    table = pd.read_csv(out / 'session3_3d.csv', header=[0, 1, 2], index_col=0)
    assert table.columns[-1][0] == 'reprojection_error' and table.shape == (FRAMES, 22)
    errors = reprojection_errors(expected, np.stack(pixels), cameras).mean(axis=(0, 2))
    np.testing.assert_allclose(table.iloc[:, -1].to_numpy(), errors, rtol=1e-9)
    assert (errors > 0).all()

    # running again skips the finished session (here in-process), unless a file is missing
    session = Session('session3', tuple(VIEWS), tuple(str(videos / f'session3_{view}.mp4')
                                                      for view in VIEWS))
    status = predict_session(None, session, str(out), overwrite=False, conf_threshold=0.)
    assert (status.status, status.frames, status.name) == ('skipped', FRAMES, 'session3')
    (out / 'session3_3d.csv').unlink()
    assert session_completed(str(out), session) is None


def test_test_sessions_report_2d_3d_and_reprojection_errors(work_dir, tmp_path):
    model = init_model(CONFIG, str(work_dir))
    entry = dict(session='session3', videos=str(work_dir / 'videos' / 'session3_{view}.mp4'),
                 ground_truth=str(TOY / 'ground_truth' / 'session3_{view}.csv'),
                 ground_truth_3d=str(TOY / 'ground_truth' / 'session3_3d.csv'),
                 conf_threshold=0., reprojection_threshold=5.)
    metrics = evaluate_test_sessions(model, [entry], str(tmp_path))
    assert sorted(metrics) == sorted(
        [f'video/session3_{v}/{m}' for v in VIEWS
         for m in ('temporal_norm', 'jumps_above_20px', 'pixel_error')]
        + [f'video/session3/{m}' for m in ('reprojection_error',
                                           'reprojection_error_above_5px', 'error_3d')])
    truth = read_points_3d(str(TOY / 'ground_truth' / 'session3_3d.csv'), PARTS, FRAMES)
    points = read_points_3d(str(tmp_path / 'session3_3d.csv'), PARTS, FRAMES)
    error_3d = np.linalg.norm(points - truth, axis=-1)
    assert metrics['video/session3/error_3d'] == pytest.approx(error_3d.mean())
    np.testing.assert_allclose(pd.read_csv(tmp_path / 'session3_3d_error.csv', index_col=0)
                               .to_numpy(), error_3d)
    frame_errors = pd.read_csv(tmp_path / 'session3_3d.csv', header=[0, 1, 2],
                               index_col=0).iloc[:, -1].to_numpy()
    assert metrics['video/session3/reprojection_error'] == pytest.approx(frame_errors.mean())
    assert metrics['video/session3/reprojection_error_above_5px'] == \
        pytest.approx((frame_errors > 5).mean())
    for view in VIEWS:
        truth_2d = read_dlc_csv(str(TOY / 'ground_truth' / f'session3_{view}.csv')).keypoints
        predicted = read_dlc_csv(str(tmp_path / f'session3_{view}.csv')).keypoints
        assert metrics[f'video/session3_{view}/pixel_error'] == pytest.approx(
            np.linalg.norm(predicted - truth_2d[:FRAMES], axis=-1).mean())
    written = pd.read_csv(tmp_path / 'session3_metrics.csv', index_col=0)['value']
    assert {f'video/{key}': value for key, value in written.items()} == pytest.approx(metrics)
