"""tools/predict.py and the video/PCA outputs of tools/test.py, run as a user runs them."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.registry import init_default_scope

from posekit.apis.config import fill_model_info, load_config, prepare_data
from posekit.datasets.video_io import video_info
from posekit.engine.hooks.pca_fit import training_keypoints
from posekit.models.losses import fittable_losses
from posekit.registry import DATASETS, MODELS

from .tool_runs import cut_test_video, cut_video, run_tool

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'configs/heatmap_semi.py'  # fitted PCA losses -> PCA error files
TOY = ROOT / 'data' / 'toy'
FRAMES = 40

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work_dir(tmp_path_factory):
    """An untrained toy model with fitted PCA losses, saved as a work dir's best checkpoint."""
    work_dir = tmp_path_factory.mktemp('semi')
    init_default_scope('posekit')
    cfg = load_config(str(ROOT / CONFIG))
    cfg.toy_data.root = cfg.train_dataloader.dataset.data_root = str(TOY)
    prepare_data(cfg)
    fill_model_info(cfg)
    model = MODELS.build(cfg.model)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    for loss in fittable_losses(model):
        loss.fit(training_keypoints(dataset))
    meta = dict(dataset_meta=dict(dataset.metainfo))
    torch.save(dict(meta=meta, state_dict=model.state_dict()),
               work_dir / 'best_pixel_error_epoch_1.pth')
    return work_dir


def test_predict_several_videos_and_report_bad_ones(work_dir, tmp_path):
    session3 = TOY / 'videos_test' / 'session3.mp4'
    (tmp_path / 'videos').mkdir()
    cut_video(session3, tmp_path / 'videos' / 'a.mp4', 0)
    cut_video(session3, tmp_path / 'videos' / 'b.mp4', 100)
    single = cut_video(session3, tmp_path / 'c.mp4', 200)
    (tmp_path / 'broken.mp4').write_text('not a video')
    result = run_tool('tools/predict.py', CONFIG, work_dir, tmp_path / 'videos',
                      tmp_path / 'missing.mp4', tmp_path / 'broken.mp4', single,
                      '--save-video', '--save-heatmaps', '--batch-size', '16', check=False)
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 2, result.stderr
    assert 'missing.mp4' in errors[0] and 'broken.mp4' in errors[1]
    summaries = [line for line in result.stdout.splitlines() if ' frames, ' in line]
    assert len(summaries) == 3 and all(f'{FRAMES} frames' in s for s in summaries)
    out = work_dir / 'video_preds'  # default: the checkpoint's work dir
    for stem in 'abc':
        preds = pd.read_csv(out / f'{stem}.csv', header=[0, 1, 2], index_col=0)
        assert preds.shape == (FRAMES, 42) and list(preds.index) == list(range(FRAMES))
        for kind in ('temporal_norm', 'pca_singleview_error', 'pca_multiview_error'):
            table = pd.read_csv(out / f'{stem}_{kind}.csv', index_col=0)
            assert table.shape == (FRAMES, 14), kind
        assert (out / f'{stem}_traces.png').stat().st_size > 10_000
        heatmaps = np.load(out / f'{stem}_heatmaps.npy', mmap_mode='r')
        assert heatmaps.shape == (FRAMES, 14, 32, 32)
        assert video_info(str(out / 'labeled_videos' / f'{stem}_labeled.mp4')).num_frames \
            == FRAMES


def test_test_tool_writes_pca_errors_pictures_and_video_metrics(work_dir, tmp_path):
    part = cut_test_video(tmp_path, 'part', FRAMES)
    config = tmp_path / 'with_videos.py'
    config.write_text(f"_base_ = ['{ROOT / CONFIG}']\ntest_videos = [{part!r}]\n")
    out = tmp_path / 'test'
    result = run_tool('tools/test.py', config, work_dir, '--work-dir', out, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    for metric in ('pixel_error_test', 'video/part/pixel_error ', 'video/part/temporal_norm',
                   'video/part/jumps_above_20px', 'video/part/pixel_error_occluded '):
        assert metric in result.stdout, metric
    preds = pd.read_csv(out / 'predictions.csv', header=[0, 1, 2], index_col=0)
    for kind in ('singleview', 'multiview'):
        table = pd.read_csv(out / f'predictions_pca_{kind}_error.csv', index_col=0)
        assert list(table.index) == list(preds.index)
        assert table.columns[-1] == 'set' and table.shape[1] == 15
    for picture in ('predictions_pixel_error.png', 'predictions_calibration.png'):
        assert (out / picture).stat().st_size > 10_000
    errors = pd.read_csv(out / 'video_preds' / 'part_pixel_error.csv', index_col=0)
    assert errors.shape == (FRAMES, 14)


@pytest.mark.parametrize('device, message', [
    ('cuda:0', "device 'cuda:0': CUDA is not available on this machine"),
    ('tpu', "unknown device 'tpu'; choose one of: cpu, cuda, cuda:N, mps")])
def test_predict_with_an_unusable_device_is_one_line(work_dir, device, message):
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': ''}  # no CUDA, even on a GPU machine
    result = run_tool('tools/predict.py', CONFIG, work_dir, TOY / 'videos_test' / 'session3.mp4',
                      '--device', device, env=env, check=False)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f'error: {message}')
    assert not (work_dir / 'video_preds' / 'session3.csv').exists()
