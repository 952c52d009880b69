"""End-to-end runs of the toy multiview (two cameras) recipes through tools/ (slow)."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from .tool_runs import run_tool as run

ROOT = Path(__file__).resolve().parents[1]
# 8 training instants (16 images) in batches of 4 (2 steps per epoch), validation every epoch
FAST = ['train_cfg.max_epochs=2', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=1', 'train_dataloader.dataset.train_frames=8',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1']
# short synchronised clips; unsupervised losses weighted 0.5 from the second epoch on
SEMI = ['train_cfg.min_steps_per_epoch=2', 'unlabeled_dataloader.dataset.clip_length=4',
        'custom_hooks.0.start_epoch=0', 'custom_hooks.0.increase_per_epoch=0.5']

pytestmark = pytest.mark.slow


def logged(log, epoch, key):
    """The values of ``key`` on the training log lines of ``epoch``."""
    lines = [line for line in log.splitlines() if f'Epoch(train) [{epoch}]' in line]
    return [float(re.search(rf' {key}: (\S+)', line).group(1)) for line in lines]


def train(config, work_dir, *options):
    run('tools/train.py', config, '--work-dir', str(work_dir), '--cfg-options', *FAST,
        *options)
    checkpoint = torch.load(work_dir / 'epoch_2.pth', weights_only=True)
    assert checkpoint['meta']['epoch'] == 2
    assert checkpoint['meta']['dataset_meta']['view_names'] == ['top', 'bottom']
    return next(work_dir.glob('*/*.log')).read_text()


def test_multiview_supervised_and_semi_supervised_training_then_test(tmp_path):
    log = train('configs/multiview/heatmap.py', tmp_path / 'supervised')
    assert len(logged(log, 2, 'heatmap_mse')) == 2
    assert 'pixel_error' in log.split('Epoch(val) [2]')[-1]

    log = train('configs/multiview/heatmap_semi.py', tmp_path / 'semi', *SEMI)
    assert 'PCAFitHook: fitted pca_multiview on the labels of 8 training frames' in log
    assert "cameras ['top', 'bottom'] from data/toy_multiview/calibrations/session1.toml" in log
    for key in ('temporal', 'pca_multiview', 'reprojection'):
        # 5e-4 * 0.5, logged with 4 decimals
        assert logged(log, 2, f'{key}_weight') == [0.0003, 0.0003], key
        assert np.isfinite(logged(log, 2, key)).all(), key

    result = run('tools/test.py', 'configs/multiview/heatmap_semi.py', str(tmp_path / 'semi'),
                 '--cfg-options', 'test_dataloader.dataset.split=test',
                 'test_sessions=[]')  # session metrics: tests/test_predict_sessions.py
    errors = dict(re.findall(r'^(pixel_error\S*)\s+(\S+)$', result.stdout, re.MULTILINE))
    assert sorted(errors) == ['pixel_error', 'pixel_error_bottom', 'pixel_error_top']
    values = {key: float(value) for key, value in errors.items()}
    assert all(0 < value < 100 for value in values.values())
    # over the labeled keypoints of both views: between the two views' errors
    low, high = sorted([values['pixel_error_top'], values['pixel_error_bottom']])
    assert low < values['pixel_error'] < high
