"""End-to-end runs of the toy context (heatmap_mhcrnn) recipes through tools/ (slow)."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from .tool_runs import cut_test_video, run_tool as run

ROOT = Path(__file__).resolve().parents[1]
#: frames of the held-out session-3 video that tools/test.py predicts (its first 40)
VIDEO_FRAMES = 40
# 8 training frames in batches of 4 (2 steps per epoch), a validation pass every epoch
FAST = ['train_cfg.max_epochs=2', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=1', 'train_dataloader.dataset.train_frames=8',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1']
# 40 training frames (PCA of 28 coordinates needs at least 28 fully labeled ones; 37 are) in
# batches of 20; short clips; unsupervised losses weighted 0.5 from the second epoch on
SEMI = ['train_dataloader.dataset.train_frames=40', 'train_dataloader.batch_size=20',
        'train_cfg.min_steps_per_epoch=2', 'unlabeled_dataloader.dataset.clip_length=8',
        'custom_hooks.0.start_epoch=0', 'custom_hooks.0.increase_per_epoch=0.5']

pytestmark = pytest.mark.slow


def train(config, work_dir, *options):
    run('tools/train.py', config, '--work-dir', str(work_dir), '--cfg-options', *FAST,
        *options)
    checkpoint = torch.load(work_dir / 'epoch_2.pth', weights_only=True)
    assert checkpoint['meta']['epoch'] == 2
    assert any(key.startswith('head.mf.') for key in checkpoint['state_dict'])
    return next(work_dir.glob('*/*.log')).read_text()


def logged(log, epoch, key):
    """The values of ``key`` on the training log lines of ``epoch``."""
    lines = [line for line in log.splitlines() if f'Epoch(train) [{epoch}]' in line]
    return [float(re.search(rf' {key}: (\S+)', line).group(1)) for line in lines]


def short_test_video(folder):
    """heatmap_mhcrnn_semi.py testing the first frames of session 3 (named session3.mp4,
    with their ground truth and occlusions) instead of all 500: the config file's path."""
    folder.mkdir()
    video = cut_test_video(folder, 'session3', VIDEO_FRAMES)
    config = folder / 'heatmap_mhcrnn_semi_short_video.py'
    config.write_text(f"_base_ = [{str(ROOT / 'configs' / 'heatmap_mhcrnn_semi.py')!r}]\n"
                      f"test_videos = [{video!r}]\n")
    return config


def test_supervised_context_training(tmp_path):
    log = train('configs/heatmap_mhcrnn.py', tmp_path)
    for key in ('heatmap_mse_sf', 'heatmap_mse_mf', 'pixel_error'):
        assert len(logged(log, 2, key)) == 2 and np.isfinite(logged(log, 2, key)).all(), key
    assert 'pixel_error' in log.split('Epoch(val) [2]')[-1]


def test_semi_supervised_context_training_then_test(tmp_path):
    log = train('configs/heatmap_mhcrnn_semi.py', tmp_path, *SEMI)
    assert logged(log, 2, 'temporal_weight') == pytest.approx([0.005 * 0.5] * 2)
    assert np.isfinite(logged(log, 2, 'temporal')).all()
    assert np.isfinite(logged(log, 2, 'pca_multiview')).all()
    result = run('tools/test.py', str(short_test_video(tmp_path / 'short')), str(tmp_path))
    assert 'pixel_error_test' in result.stdout
    assert 'video/session3/pixel_error_occluded ' in result.stdout
    # the held-out video: one row per frame, including the edge-padded first and last two
    video = pd.read_csv(tmp_path / 'video_preds' / 'session3.csv', header=[0, 1, 2],
                        index_col=0)
    assert video.index.tolist() == list(range(VIDEO_FRAMES))
    assert np.isfinite(video.to_numpy(dtype=float)).all()
    preds = pd.read_csv(tmp_path / 'predictions.csv', header=[0, 1, 2], index_col=0)
    # 80 session-1 frames (train/validation) + 100 held-out session-3 frames (test)
    assert len(preds) == 180
    assert preds.iloc[:, -1].value_counts().to_dict() == {'test': 100, 'train': 72,
                                                          'validation': 8}
    values = preds.iloc[:, :-1].to_numpy(dtype=float).reshape(180, 14, 3)
    assert np.isfinite(values).all()
    assert ((values[..., 2] >= 0) & (values[..., 2] <= 1)).all()
