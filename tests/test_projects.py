"""The plug-in projects (bone-length loss, DSNT head): values, config loading, short training."""
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import default_collate

from posekit.apis import prepare_train_config
from posekit.codecs import HeatmapCodec
from posekit.datasets.metainfo import build_metainfo
from posekit.apis.config import load_config
from posekit.models.losses import Loss
from posekit.models.outputs import OUTPUT_KEYS, check_vocabulary
from posekit.registry import KEYPOINT_CODECS, LOSSES, MODELS, TRANSFORMS

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / 'projects/bone_length/configs/heatmap_semi_bone_length.py'
DSNT_CONFIG = ROOT / 'projects/dsnt/configs/dsnt.py'
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


def load_as_tools_do(config: Path, report: str, cwd: Path) -> str:
    """Load ``config`` in a fresh interpreter with sys.path as ``python tools/train.py`` has
    it (tools/, not the repository) and return what the ``report`` expression prints."""
    script = textwrap.dedent(f'''
        import sys
        sys.path[:] = [p for p in sys.path if p not in ('', {str(ROOT)!r})]
        sys.path.insert(0, {str(ROOT / 'tools')!r})
        from posekit.apis.config import load_config
        from posekit.registry import LOSSES, MODELS
        cfg = load_config({str(config)!r})
        print({report})
    ''')
    result = subprocess.run([sys.executable, '-c', script], cwd=cwd, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_project_config_loads_as_tools_run_it(tmp_path):
    printed = load_as_tools_do(
        CONFIG, "LOSSES.get('BoneLengthLoss').__module__, cfg.model.losses[1].pairs", tmp_path)
    assert printed.split()[0] == 'projects.bone_length.bone_length_loss'


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


def dsnt_head(num_keypoints=2, in_channels=1, input_size=(64, 32), stride=8):
    import projects.dsnt  # noqa: F401  (registers DSNTHead)
    codec = dict(type='HeatmapCodec', input_size=input_size, stride=stride, sigma=1.25)
    return MODELS.build(dict(type='DSNTHead', num_keypoints=num_keypoints,
                             in_channels=in_channels, codec=codec))


def test_dsnt_expectation_of_a_tiny_heatmap_in_input_pixels():
    from projects.dsnt import heatmap_expectation
    masses = torch.tensor([[[[0.1, 0.2, 0.0],
                             [0.3, 0.0, 0.4]]]])  # (1, 1, h=2, w=3)
    centre = heatmap_expectation(masses)
    # x = 0.2 * 1 + 0.4 * 2, y = 0.3 + 0.4 (heatmap pixels, centres on integers)
    assert centre[0, 0].tolist() == pytest.approx([1.0, 0.7])
    # the codec's convention at stride 4: input x = (hm x + 0.5) * 4 - 0.5
    codec = HeatmapCodec((12, 8), stride=4)
    assert codec.to_input(centre)[0, 0].tolist() == pytest.approx([5.5, 4.3])


def test_dsnt_head_predicts_the_expectation_of_its_maps():
    head = dsnt_head()  # stride 8 from stride-32 features: each feature cell makes 4 x 4 pixels
    torch.nn.init.zeros_(head.logits.weight)
    bias = torch.full((2, 4, 4), -1e4)  # keypoint, row and column inside a cell's 4 x 4 block
    bias[0, 1, 2] = bias[0, 3, 0] = 0.  # keypoint 0: two pixels per cell, four of mass 0.25
    bias[1] = 0.  # keypoint 1: uniform
    head.logits.bias.data = bias.flatten()
    outputs = head.predict(torch.zeros(1, 1, 1, 2))  # input 64 x 32 -> heatmaps 8 x 4
    assert tuple(outputs) == head.output_keys
    check_vocabulary(tuple(outputs), 'DSNTHead')
    assert head.target_keys == ('heatmaps_targ',)
    maps = outputs['heatmaps_pred']
    assert maps.shape == (1, 2, 4, 8)
    assert maps[0, 0].nonzero().tolist() == [[1, 2], [1, 6], [3, 0], [3, 4]]
    torch.testing.assert_close(maps.sum(dim=(-2, -1)), torch.ones(1, 2))
    # keypoint 0: x = (2 + 6 + 0 + 4) / 4 = 3, y = (1 + 1 + 3 + 3) / 4 = 2 heatmap pixels,
    # (3.5 * 8 - 0.5, 2.5 * 8 - 0.5) input pixels; keypoint 1: the centre (3.5, 1.5) -> (31.5, 15.5)
    assert outputs['keypoints_pred_augmented'][0].tolist() == [[27.5, 19.5], [31.5, 15.5]]
    # mass within 2 heatmap pixels of (3, 2): (2, 1) and (4, 3); uniform map: 5 x 4 of 32 pixels
    assert outputs['confidences'][0].tolist() == pytest.approx([0.5, 20 / 32])


def test_dsnt_head_gradients_reach_its_parameters():
    torch.manual_seed(0)
    head = dsnt_head(num_keypoints=3, in_channels=8, input_size=(64, 64), stride=4)
    feats = torch.randn(2, 8, 2, 2)
    target = torch.tensor([[10., 50.], [60., 5.], [32., 32.]]).expand(2, 3, 2)

    def squared_error():
        return (head.predict(feats)['keypoints_pred_augmented'] - target).pow(2).sum()

    before = squared_error()
    before.backward()
    for name, param in head.named_parameters():
        assert torch.isfinite(param.grad).all() and param.grad.abs().sum() > 0, name
    with torch.no_grad():
        for param in head.parameters():
            param -= 1e-3 * param.grad / param.grad.abs().max()
    assert squared_error().item() < before.item()


def test_dsnt_head_refuses_a_codec_without_heatmaps():
    import projects.dsnt  # noqa: F401  (registers DSNTHead)
    with pytest.raises(TypeError, match="DSNTHead decodes heatmaps: the config's codec must be"):
        MODELS.build(dict(type='DSNTHead', num_keypoints=2, in_channels=8,
                          codec=dict(type='RegressionCodec', input_size=(64, 64))))


def test_dsnt_config_loads_as_tools_run_it(tmp_path):
    printed = load_as_tools_do(
        DSNT_CONFIG, "MODELS.get('DSNTHead').__module__, cfg.model.head.type, "
        "[loss.type for loss in cfg.model.losses]", tmp_path)
    assert printed.strip() == ("projects.dsnt.dsnt_head DSNTHead "
                               "['RegressionMSELoss', 'HeatmapJSLoss']")


class StrideConvBackbone(torch.nn.Module):
    """The least a backbone provides: ``out_channels`` and stride-32 features."""

    def __init__(self):
        super().__init__()
        self.out_channels = 8
        self.conv = torch.nn.Conv2d(3, 8, kernel_size=32, stride=32)

    def forward(self, images):
        return self.conv(images)


class LabeledFlagCodec(HeatmapCodec):
    """A codec with a target type new to posekit: ``labeled (K,)``, 1 where labeled."""

    target_keys = ('heatmaps', 'labeled')

    def encode(self, keypoints):
        flags = (~np.isnan(keypoints).any(-1)).astype(np.float32)
        return dict(super().encode(keypoints), labeled=flags)


class MissedMassLoss(Loss):
    """``1 - confidence`` on labeled keypoints, read through the new ``labeled_targ``."""

    name = 'missed_mass'
    default_data_info = dict(conf='confidences', labeled='labeled_targ')

    def compute(self, conf, labeled):
        return 1 - conf, labeled.bool()


def test_a_backbone_and_a_target_type_plug_in_without_core_changes():
    """docs/contracts.md, "What a change touches": both rows are 0 core files."""
    import projects.dsnt  # noqa: F401  (registers DSNTHead)
    MODELS.register_module(module=StrideConvBackbone, force=True)
    KEYPOINT_CODECS.register_module(module=LabeledFlagCodec, force=True)
    LOSSES.register_module(module=MissedMassLoss, force=True)
    assert 'labeled_targ' not in OUTPUT_KEYS
    codec = dict(type='LabeledFlagCodec', input_size=(64, 64), stride=4)
    model = MODELS.build(dict(type='PoseTracker', backbone=dict(type='StrideConvBackbone'),
                              head=dict(type='DSNTHead', num_keypoints=3), codec=codec,
                              losses=[dict(type='RegressionMSELoss'),
                                      dict(type='MissedMassLoss')]))
    assert model.head.in_channels == 8 and model.head.target_keys == ('heatmaps_targ',
                                                                      'labeled_targ')
    pipeline = [TRANSFORMS.build(dict(type='GenerateTarget', codec=codec)),
                TRANSFORMS.build(dict(type='PackPoseInputs'))]
    rng = np.random.default_rng(0)
    samples = []
    for keypoints in ([[10., 10.], [30., 40.], [NAN, NAN]], [[5., 50.], [20., 20.], [60., 3.]]):
        results = dict(img=rng.integers(0, 255, (64, 64, 3), np.uint8),
                       keypoints=np.array(keypoints, np.float32), input_from_frame=np.eye(3))
        for step in pipeline:
            results = step(results)
        samples.append(results)
    batch = default_collate(samples)
    assert batch['data_samples']['labeled'].tolist() == [[1, 1, 0], [1, 1, 1]]
    inputs = batch['inputs'].float()
    losses = model(inputs, batch['data_samples'], mode='loss')
    conf = model(inputs, mode='tensor')['confidences'].detach()
    assert conf.shape == (2, 3)
    missed = ((1 - conf[0, :2]).sum() + (1 - conf[1]).sum()) / 5  # the 5 labeled keypoints
    assert losses['loss_missed_mass'].item() == pytest.approx(missed.item())
    (losses['loss_regression_mse'] + losses['loss_missed_mass']).backward()
    assert model.backbone.conv.weight.grad.abs().sum() > 0


@pytest.mark.slow
def test_training_with_the_dsnt_config_logs_finite_losses(tmp_path):
    cfg = load_config(str(DSNT_CONFIG))
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
    assert type(runner.model.head).__name__ == 'DSNTHead'
    assert math.isfinite(hub.get_scalar('train/loss_regression_mse').current())
    assert math.isfinite(hub.get_scalar('train/loss_heatmap_js').current())
    assert hub.get_scalar('train/heatmap_js_weight').current() == pytest.approx(1024.)
    assert (runner.model.head.logits.bias != 0).all()  # zeros at init: training updated the head
