"""The bone-length plug-in project: its loss, its config loading and a short training run."""
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.runner import Runner

from posekit.apis import prepare_train_config
from posekit.datasets.metainfo import build_metainfo
from posekit.apis.config import load_config
from posekit.registry import LOSSES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / 'projects/bone_length/configs/heatmap_semi_bone_length.py'
NAN = float('nan')


def bone_clip():
    """(T=3, K=3, 2): bone 0-1 has lengths 3, 5, 4; bone 0-2 has 1, 2 and a NaN frame."""
    return torch.tensor([[[0., 0.], [3., 0.], [0., 1.]],
                         [[0., 0.], [0., 5.], [2., 0.]],
                         [[1., 1.], [1., 5.], [NAN, NAN]]], requires_grad=True)


def test_bone_length_loss_penalises_deviation_from_the_median():
    import projects.bone_length  # noqa: F401  (registers BoneLengthLoss)
    loss = LOSSES.build(dict(type='BoneLengthLoss', pairs=[(0, 1), (0, 2)]))
    keypoints = bone_clip()
    value, logs = loss(dict(keypoints_pred=keypoints))
    # medians 4 and (lower median of 1, 2) 1: deviations [1, 1, 0] and [0, 1, excluded]
    assert value.item() == pytest.approx(3 / 5)
    assert logs['train/bone_length'].item() == pytest.approx(0.6)
    value.backward()
    assert torch.isfinite(keypoints.grad).all() and keypoints.grad[2, 2].abs().sum() == 0
    # d/dp1 of |‖p1 - p0‖ - 4| / 5 at t=0, where the length 3 is below the median: -(1, 0) / 5
    assert keypoints.grad[0, 1].tolist() == pytest.approx([-0.2, 0.])
    rectified = LOSSES.build(dict(type='BoneLengthLoss', pairs=[(0, 1), (0, 2)], epsilon=0.5))
    assert rectified(dict(keypoints_pred=bone_clip()))[0].item() == pytest.approx(1.5 / 5)
    with pytest.raises(ValueError, match='pairs of two different'):
        LOSSES.build(dict(type='BoneLengthLoss', pairs=[(1, 1)]))


def test_bone_length_pairs_by_name_or_from_the_skeleton():
    import projects.bone_length  # noqa: F401  (registers BoneLengthLoss)
    meta = build_metainfo(['nose', 'head', 'tail'], skeleton=[('head', 'tail')])
    named = LOSSES.build(dict(type='BoneLengthLoss', pairs=[('nose', 'head'), ('nose', 'tail')]))
    with pytest.raises(RuntimeError, match='build it inside a PoseTracker'):
        named(dict(keypoints_pred=bone_clip()))
    named.bind(None, meta)
    assert named.index_pairs == [(0, 1), (0, 2)]
    assert named(dict(keypoints_pred=bone_clip()))[0].item() == pytest.approx(3 / 5)
    skeleton = LOSSES.build(dict(type='BoneLengthLoss'))
    skeleton.bind(None, meta)
    assert skeleton.index_pairs == [(1, 2)]
    with pytest.raises(KeyError, match="BoneLengthLoss: unknown keypoint 'paw'"):
        LOSSES.build(dict(type='BoneLengthLoss', pairs=[('paw', 'nose')])).bind(None, meta)


def test_load_config_imports_packages_found_beside_the_config(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'path', list(sys.path))
    package = tmp_path / 'repo' / 'posekit_test_plugin'
    package.mkdir(parents=True)
    (package / '__init__.py').write_text('LOADED = True\n')
    (tmp_path / 'repo' / 'configs').mkdir()
    config = tmp_path / 'repo' / 'configs' / 'plugin.py'
    config.write_text("custom_imports = dict(imports=['posekit_test_plugin'], "
                      'allow_failed_imports=False)\n')
    load_config(str(config))
    assert sys.modules['posekit_test_plugin'].LOADED
    assert sys.path[0] == str(tmp_path / 'repo')
    monkeypatch.delitem(sys.modules, 'posekit_test_plugin')


def test_project_config_loads_as_tools_run_it(tmp_path):
    """``python tools/train.py`` has tools/, not the repository, on sys.path."""
    script = textwrap.dedent(f'''
        import sys
        sys.path[:] = [p for p in sys.path if p not in ('', {str(ROOT)!r})]
        sys.path.insert(0, {str(ROOT / 'tools')!r})
        from posekit.apis.config import load_config
        from posekit.registry import LOSSES
        cfg = load_config({str(CONFIG)!r})
        print(LOSSES.get('BoneLengthLoss').__module__, cfg.model.losses[1].pairs)
    ''')
    result = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[0] == 'projects.bone_length.bone_length_loss'


@pytest.mark.slow
def test_training_with_the_project_config_logs_the_bone_length_loss(tmp_path):
    cfg = load_config(str(CONFIG))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = None
    cfg.log_processor.by_epoch = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    prepare_train_config(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert math.isfinite(hub.get_scalar('train/loss_bone_length').current())
    assert hub.get_scalar('train/bone_length_weight').current() == pytest.approx(0.01)
    assert runner.model.losses[1].index_pairs == [(0, 1), (7, 8)]  # names of the toy labels
