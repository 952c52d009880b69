"""End-to-end runs of tools/ as a user runs them (slow: tens of seconds)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from .tool_runs import run_tool as run

ROOT = Path(__file__).resolve().parents[1]
FAST = ['train_dataloader.batch_size=8', 'train_dataloader.num_workers=1',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1']

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('heatmap')
    run('tools/train.py', 'configs/heatmap.py', '--work-dir', str(work_dir),
        '--cfg-options', 'train_cfg.max_epochs=2', *FAST)
    return work_dir


def test_training_writes_checkpoints_that_load_weights_only(trained):
    assert (trained / 'heatmap.py').is_file()
    assert (trained / 'epoch_2.pth').is_file()
    assert len(list(trained.glob('best_pixel_error_epoch_*.pth'))) == 1
    checkpoint = torch.load(trained / 'epoch_2.pth', weights_only=True)
    assert checkpoint['meta']['epoch'] == 2
    assert checkpoint['meta']['dataset_meta']['num_keypoints'] == 14
    assert list(trained.glob('*/vis_data/events.out.tfevents.*')), 'no TensorBoard log'


def test_resume_continues_from_the_saved_epoch(trained, tmp_path):
    work_dir = tmp_path / 'resumed'
    run('tools/train.py', 'configs/heatmap.py', '--work-dir', str(work_dir),
        '--resume', str(trained / 'epoch_2.pth'), '--cfg-options', 'train_cfg.max_epochs=3',
        *FAST)
    assert not (work_dir / 'epoch_1.pth').exists()
    checkpoint = torch.load(work_dir / 'epoch_3.pth', weights_only=True)
    assert checkpoint['meta']['epoch'] == 3
    assert checkpoint['meta']['iter'] == 3 * 9  # 72 train frames, batch 8
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'resumed epoch: 2, iter: 18' in log
    assert 'Epoch(train) [3]' in log and 'Epoch(train) [1]' not in log


def test_test_tool_writes_predictions_and_errors(trained):
    # the labeled frames only: the test videos' outputs are checked in test_predict_tool.py
    result = run('tools/test.py', 'configs/heatmap.py', str(trained), '--cfg-options',
                 'test_videos=[]')
    assert 'pixel_error_test' in result.stdout
    preds = pd.read_csv(trained / 'predictions.csv', header=[0, 1, 2], index_col=0)
    # 80 session-1 frames (train/validation) + 100 held-out session-3 frames (test)
    assert len(preds) == 180
    assert preds.columns[0] == ('posekit', 'nose_top', 'x')
    assert list(preds.columns.get_level_values(2)[:3]) == ['x', 'y', 'likelihood']
    sets = preds.iloc[:, -1]
    assert sets.value_counts().to_dict() == {'test': 100, 'train': 72, 'validation': 8}
    assert preds.index[0].startswith('labeled-data/session')
    errors = pd.read_csv(trained / 'predictions_pixel_error.csv', index_col=0)
    assert errors.shape == (180, 15) and errors.columns[-1] == 'set'
    assert np.isfinite(errors.iloc[:, :-1].to_numpy(dtype=float)).sum() > 170 * 14


def test_checkpoint_with_other_keypoint_count_is_refused(trained, tmp_path):
    labels = pd.read_csv(ROOT / 'data/toy/labeled-data/session1/CollectedData.csv',
                         header=[0, 1, 2], index_col=0)
    labels.iloc[:, :-2].to_csv(tmp_path / 'labels13.csv')
    result = run('tools/test.py', 'configs/heatmap.py', str(trained / 'epoch_2.pth'),
                 '--work-dir', str(tmp_path), '--cfg-options',
                 f'test_dataloader.dataset.ann_file={tmp_path / "labels13.csv"}',
                 'test_dataloader.dataset.test_ann_file=None', check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f'error: {trained / "epoch_2.pth"} was trained for 14 keypoints')
    assert "the config's labels have 13" in result.stderr
    assert not (tmp_path / 'predictions.csv').exists()


def test_unknown_type_is_one_clear_error(tmp_path):
    result = run('tools/train.py', 'configs/heatmap.py', '--work-dir', str(tmp_path),
                 '--cfg-options', 'model.losses.0.type=HeatmapMSELos', check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: 'HeatmapMSELos' is not in the posekit 'loss' registry; "
        "did you mean 'HeatmapMSELoss'")


def assert_one_error_line(result, expected):
    """Exit status 1 and ``expected`` as the only ``error:`` line, without a traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr[-3000:]
    assert lines[-1] == expected
    assert [line for line in lines if line.startswith('error:')] == [expected]
    assert 'Traceback' not in result.stderr


def test_misspelt_cfg_option_fails_before_the_work_dir_is_made(tmp_path):
    work_dir = tmp_path / 'work'
    result = run('tools/train.py', 'configs/heatmap.py', '--work-dir', str(work_dir),
                 '--cfg-options', 'train_cfg.max_epoch=1', check=False)
    assert_one_error_line(result, (
        'error: invalid --cfg-options key train_cfg.max_epoch: EpochBasedTrainLoop '
        "(train_cfg) takes no argument 'max_epoch'; did you mean train_cfg.max_epochs?"))
    assert not work_dir.exists()


def test_config_without_a_head_is_one_error_line_when_testing(tmp_path):
    config = tmp_path / 'headless.py'
    config.write_text(f'_base_ = [{str(ROOT / "configs/heatmap.py")!r}]\n'
                      "model = dict(_delete_=True, type='PoseTracker', "
                      "backbone=dict(type='EfficientNetLite0'))\n")
    result = run('tools/test.py', str(config), str(tmp_path / 'epoch_1.pth'),
                 '--work-dir', str(tmp_path / 'work'), check=False)
    assert_one_error_line(
        result, 'error: model.head is missing: PoseTracker needs it (a dict with type=...)')
    assert not (tmp_path / 'work').exists()
