"""tools/train.py with train_cfg.max_steps: the plan in the log, the checkpoint and a resume
(slow: a two-epoch training and its resume)."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FAST = ['train_dataloader.batch_size=8', 'train_dataloader.num_workers=1',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=3']

pytestmark = pytest.mark.slow


def train(*args):
    result = subprocess.run([sys.executable, 'tools/train.py', 'configs/heatmap.py', *args],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_max_steps_rescales_the_schedule_and_resume_keeps_the_plan(tmp_path):
    first = tmp_path / 'first'
    # 72 train frames at batch 8: 9 steps an epoch; 18 steps = 2 epochs of the 150-epoch
    # recipe, whose milestones 100 and 130 move to steps 12 and 15.6 -> 16
    train('--work-dir', str(first), '--cfg-options', 'train_cfg.max_steps=18', *FAST)
    log = next(first.glob('*/*.log')).read_text()
    assert ('BudgetScheduleHook: planned 18 steps = 2 epochs x 9, schedule of 150 epochs '
            'rescaled; LR milestones (steps): [[12, 16]]; validation and checkpoint every 1 '
            'epochs and at the end') in log
    assert not (first / 'epoch_3.pth').exists()
    end = torch.load(first / 'epoch_2.pth', weights_only=True)
    assert end['schedule_plan'] == dict(epochs=2, steps_per_epoch=9, reference_epochs=150,
                                        val_interval=1, step_time=None)
    scheduler = end['param_schedulers'][0]
    # mmengine ends an epoch scheduler at max_epochs (150): now at step 18
    assert scheduler['milestones'] == {12: 1, 16: 1} and scheduler['end'] == 18
    assert scheduler['_global_step'] == 18 and not scheduler['by_epoch']
    assert end['optimizer']['param_groups'][0]['lr'] == pytest.approx(2.5e-4)
    assert len(list(first.glob('best_pixel_error_epoch_*.pth'))) == 1

    resumed = tmp_path / 'resumed'
    # another max_steps on resume does not re-plan: the checkpoint's plan continues
    train('--work-dir', str(resumed), '--resume', str(first / 'epoch_1.pth'),
          '--cfg-options', 'train_cfg.max_steps=90', *FAST)
    log = next(resumed.glob('*/*.log')).read_text()
    assert 'BudgetScheduleHook: resumed the plan 18 steps = 2 epochs x 9' in log
    assert 'planned' not in log
    end = torch.load(resumed / 'epoch_2.pth', weights_only=True)
    assert not (resumed / 'epoch_3.pth').exists()
    assert end['param_schedulers'][0]['milestones'] == {12: 1, 16: 1}
    assert end['optimizer']['param_groups'][0]['lr'] == pytest.approx(2.5e-4)
