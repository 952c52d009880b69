"""Fault injection: kill -9 during training and inside a checkpoint save, then --resume;
bad checkpoints given to the tools; 2-process CPU DDP runs (slow: minutes in all)."""
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from posekit.apis.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
#: 72 labeled training frames, batch 8: 9 optimizer steps per epoch; no validation.
STEPS_PER_EPOCH = 9
TRAIN = ['--cfg-options', 'train_cfg.max_epochs=3', 'train_dataloader.batch_size=8',
         'train_dataloader.num_workers=1', 'train_cfg.val_interval=100',
         'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']
#: The checkpoints a finished 3-epoch run keeps (max_keep_ckpts=1, the last epoch validated).
FINAL = ['best_pixel_error_epoch_3.pth', 'epoch_3.pth']

pytestmark = pytest.mark.slow


def env(**extra) -> dict:
    return dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT), **extra)


def train(work_dir: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, 'tools/train.py', 'configs/heatmap.py',
                             '--work-dir', str(work_dir), *args, *TRAIN], cwd=ROOT,
                            env=env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def train_until(work_dir: Path, ready, **extra_env) -> None:
    """Start a training, wait until ``ready(work_dir, log_text)``, then kill -9 its group."""
    log = work_dir.parent / f'{work_dir.name}.out'
    with open(log, 'w') as out:
        process = subprocess.Popen(
            [sys.executable, 'tools/train.py', 'configs/heatmap.py', '--work-dir',
             str(work_dir), *TRAIN], cwd=ROOT, env=env(**extra_env), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not ready(work_dir, log.read_text()):
            assert process.poll() is None, f'training ended early:\n{log.read_text()[-3000:]}'
            assert time.monotonic() < deadline, 'the fault was never reached'
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def checkpoints(work_dir: Path) -> list:
    """The names of the checkpoints under their final names (not temporary files)."""
    return sorted(p.name for p in work_dir.glob('*.pth') if not p.name.startswith('.'))


def optimizer_steps(checkpoint: dict) -> set:
    """The Adam step counts of all parameters (one value when all stepped together)."""
    return {int(state['step']) for state in checkpoint['optimizer']['state'].values()}


def final_counts(work_dir: Path) -> tuple:
    checkpoint = torch.load(work_dir / 'epoch_3.pth', weights_only=True)
    return (checkpoint['meta']['epoch'], checkpoint['meta']['iter'],
            optimizer_steps(checkpoint))


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('fault') / 'uninterrupted'
    train(work_dir)
    return work_dir


def test_uninterrupted_run_keeps_one_checkpoint(uninterrupted):
    # the last epoch is always validated, hence a best checkpoint
    assert checkpoints(uninterrupted) == FINAL
    assert (uninterrupted / 'last_checkpoint').read_text() == str(uninterrupted / 'epoch_3.pth')
    assert final_counts(uninterrupted) == (3, 3 * STEPS_PER_EPOCH, {3 * STEPS_PER_EPOCH})


def test_kill_during_training_then_resume(uninterrupted, tmp_path):
    work_dir = tmp_path / 'killed'
    train_until(work_dir, lambda _, log: 'Epoch(train) [2][4/9]' in log)
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    train(work_dir, '--resume')
    assert final_counts(work_dir) == final_counts(uninterrupted)
    assert checkpoints(work_dir) == FINAL


def test_kill_inside_a_checkpoint_save_then_resume(uninterrupted, tmp_path):
    work_dir = tmp_path / 'killed_saving'
    train_until(work_dir, lambda wd, _: any(wd.glob('.epoch_2.pth.*.part.pth')),
                POSEKIT_TEST_STALL_SAVE='epoch_2.pth:300')
    # the complete epoch 1 checkpoint is still there and named; epoch 2 never got its name
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    epoch_1 = torch.load(work_dir / 'epoch_1.pth', weights_only=True)
    assert optimizer_steps(epoch_1) == {STEPS_PER_EPOCH}
    train(work_dir, '--resume')
    assert final_counts(work_dir) == final_counts(uninterrupted)
    assert checkpoints(work_dir) == FINAL
    assert not list(work_dir.glob('.*.part.pth')), 'the unfinished save was not cleaned up'


def run_tool(tool: str, argv: list, monkeypatch, capsys) -> str:
    """Run tools/<tool>.py in this process; return its one-line error (exit status 1)."""
    spec = importlib.util.spec_from_file_location(tool, ROOT / 'tools' / f'{tool}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(ROOT)
    # mmengine's loggers keep the streams of earlier tests' captures: no reports about them
    monkeypatch.setattr(logging, 'raiseExceptions', False)
    monkeypatch.setattr(sys, 'argv', [f'tools/{tool}.py', *argv])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        run_cli(module.main)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith('error: '), err
    assert 'Traceback' not in err and 'weights_only' not in err
    return err[len('error: '):]


def test_bad_checkpoints_are_one_line_errors(uninterrupted, tmp_path, monkeypatch, capsys):
    full = torch.load(uninterrupted / 'epoch_3.pth', weights_only=True)
    weights = tmp_path / 'weights.pth'
    torch.save(dict(state_dict=full['state_dict'], meta=full['meta']), weights)
    fresh = tmp_path / 'fresh'
    message = run_tool('train', ['configs/heatmap.py', '--work-dir', str(fresh), '--resume',
                                 str(weights)], monkeypatch, capsys)
    assert message.startswith(f'{weights} has no optimizer or param_schedulers state '
                              '(weights only), so training cannot resume from it')
    assert message.endswith(f'--load-from {weights}')
    message = run_tool('train', ['configs/heatmap.py', '--work-dir', str(fresh), '--resume'],
                       monkeypatch, capsys)
    assert message == (f'--resume: no checkpoint in {fresh} (no last_checkpoint file); train '
                       'without --resume, or use --resume-if-possible')
    assert not fresh.exists(), 'a refused training wrote files'

    bad = tmp_path / 'bad'
    bad.mkdir()
    data = (uninterrupted / 'epoch_3.pth').read_bytes()
    (bad / 'epoch_1.pth').write_bytes(data)
    os.utime(bad / 'epoch_1.pth', (1, 1))
    (bad / 'epoch_2.pth').write_bytes(data[:len(data) // 3])
    (bad / 'empty.pth').write_bytes(b'')
    (bad / 'notes.pth').write_text('not a checkpoint')
    cases = [('epoch_2.pth', 'is not a readable checkpoint'), ('empty.pth', 'is empty'),
             ('notes.pth', 'is not a readable checkpoint')]
    for name, _ in cases:
        os.utime(bad / name, (0, 0))  # older than epoch_1.pth: never the suggestion
    for name, problem in cases:
        message = run_tool('test', ['configs/heatmap.py', str(bad / name)], monkeypatch,
                           capsys)
        assert message.startswith(f'{bad / name} {problem}')
        assert message.endswith(f'use the previous checkpoint instead: {bad / "epoch_1.pth"}')
    assert sorted(p.name for p in bad.iterdir()) == [
        'empty.pth', 'epoch_1.pth', 'epoch_2.pth', 'notes.pth'], 'test.py wrote outputs'


def test_a_regression_checkpoint_with_the_heatmap_config(tmp_path, monkeypatch, capsys):
    from mmengine.registry import init_default_scope

    from posekit.apis.config import load_config, prepare_train_config
    from posekit.registry import MODELS
    monkeypatch.chdir(ROOT)
    cfg = load_config('configs/regression.py')
    prepare_train_config(cfg, work_dir=str(tmp_path))
    init_default_scope('posekit')
    model = MODELS.build(cfg.model)
    path = tmp_path / 'regression.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(cfg=cfg.pretty_text)), path)
    message = run_tool('test', ['configs/heatmap.py', str(path)], monkeypatch, capsys)
    assert message.startswith(f"{path} does not fit the config: the config's head is "
                              "HeatmapHead, the checkpoint's head is RegressionHead; Missing "
                              'keys in the checkpoint: head.upsample.')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['regression.pth']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('config, options', [
    ('configs/heatmap.py', []),
    # unsupervised losses on from the first step (the recipe ramps them in at epoch 30), on
    # the recipe's two clips per step of 4 frames instead of 8
    ('configs/heatmap_semi.py', ['unlabeled_dataloader.num_workers=1',
                                 'unlabeled_dataloader.dataset.clip_length=4',
                                 'custom_hooks.0.start_epoch=0',
                                 'custom_hooks.0.increase_per_epoch=1'])])
def test_two_process_cpu_ddp(config, options, tmp_path):
    # 2 processes x batch 4 = global batch 8: 9 steps per epoch, as one process with batch 8
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', str(tmp_path),
         '--cfg-options', 'train_cfg.max_epochs=2', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=1', 'train_cfg.val_interval=2',
         'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1', *options],
        cwd=ROOT, env=env(PYTHON=sys.executable, MASTER_PORT=str(free_port())),
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    assert (checkpoint['meta']['epoch'], checkpoint['meta']['iter']) == (2, 18)
    assert optimizer_steps(checkpoint) == {18}
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert 'Epoch(train) [2][9/9]' in log and 'Epoch(val) [2][1/1]' in log
    if options:
        last = next(line for line in log.splitlines() if 'Epoch(train) [2][9/9]' in line)
        assert 'unsupervised_weight: 1.0000' in last and 'pca_multiview' in last, last
    assert (tmp_path / 'best_pixel_error_epoch_2.pth').is_file()
    assert not list(tmp_path.glob('.*.part*'))
