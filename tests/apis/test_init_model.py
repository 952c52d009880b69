"""init_model: a config and a checkpoint (or a work dir) to a model ready for inference."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from posekit.apis import init_model
from posekit.apis.config import load_config
from posekit.apis.config_checks import ConfigError
from posekit.models.trackers import CheckpointMismatchError
from posekit.registry import MODELS

NAMES = ['nose', 'ear', 'tail']
ROOT = Path(__file__).resolve().parents[2]


def tiny_config(tmp_path, resize=True, num_keypoints=None):
    pipeline = "[dict(type='LoadFrame'), dict(type='Resize', input_size=(64, 64))]" \
        if resize else "[dict(type='LoadFrame')]"
    path = tmp_path / 'tiny.py'
    path.write_text(
        "default_scope = 'posekit'\n"
        "codec = dict(type='HeatmapCodec', input_size=(64, 64))\n"
        "model = dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),\n"
        f"             head=dict(type='HeatmapHead', num_keypoints={num_keypoints}),\n"
        "             losses=[dict(type='HeatmapMSELoss')])\n"
        f"test_dataloader = dict(dataset=dict(pipeline={pipeline}))\n")
    return str(path)


def save_checkpoint(path, num_keypoints=3, names=NAMES):
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=(64, 64)),
                            head=dict(type='HeatmapHead', num_keypoints=num_keypoints)))
    torch.save(dict(meta=dict(dataset_meta=dict(keypoint_names=names, scorer='me')),
                    state_dict=net.state_dict()), path)
    return net


def test_init_model_takes_keypoints_from_the_checkpoint(tmp_path):
    trained = save_checkpoint(tmp_path / 'best_x.pth')
    model = init_model(tiny_config(tmp_path), str(tmp_path))  # a work dir: its best_*.pth
    assert not model.training and model.input_size == (64, 64)
    assert model.dataset_meta == dict(keypoint_names=NAMES, num_keypoints=3, scorer='me')
    assert model.head.num_keypoints == 3 and model.cfg.model.metainfo['num_keypoints'] == 3
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_init_model_errors(tmp_path):
    save_checkpoint(tmp_path / 'ckpt.pth')
    with pytest.raises(CheckpointMismatchError, match='3 keypoints'):
        init_model(tiny_config(tmp_path, num_keypoints=4), str(tmp_path / 'ckpt.pth'))
    save_checkpoint(tmp_path / 'four.pth', 4, NAMES + ['paw'])
    cfg = Config.fromfile(tiny_config(tmp_path))
    cfg.model.head.num_keypoints = 4
    state = torch.load(tmp_path / 'four.pth', weights_only=True)
    state['state_dict'].pop('head.upsample.1.bias')
    torch.save(state, tmp_path / 'incomplete.pth')
    with pytest.raises(CheckpointMismatchError, match='incomplete.pth.*Missing key'):
        init_model(cfg, str(tmp_path / 'incomplete.pth'))
    with pytest.raises(ValueError,
                       match=r'test_dataloader\.dataset\.pipeline\) has no geometric step'):
        init_model(tiny_config(tmp_path, resize=False), str(tmp_path / 'ckpt.pth'))
    with pytest.raises(FileNotFoundError):
        init_model(tiny_config(tmp_path), str(tmp_path / 'nothing.pth'))


def test_init_model_names_a_missing_head(tmp_path):
    cfg = load_config(str(ROOT / 'configs' / 'heatmap.py'))
    cfg.model.pop('head')
    with pytest.raises(ConfigError, match=r'^model\.head is missing: PoseTracker needs it'):
        init_model(cfg, str(tmp_path / 'none.pth'))
