"""Checkpoint files checked before use: unreadable files, weights-only resume, head mismatch."""
import os
import re

import pytest
import torch
from mmengine.config import Config

from posekit.apis.checkpoints import (CheckpointFileError, check_resumable, checkpoint_head,
                                      latest_checkpoint, load_state_dict_strictly,
                                      read_checkpoint)
from posekit.apis.config import choose_start
from posekit.models.trackers import CheckpointMismatchError
from posekit.registry import MODELS

CODECS = dict(HeatmapHead='HeatmapCodec', RegressionHead='RegressionCodec')


def model_cfg(head: str) -> Config:
    codec = dict(type=CODECS[head], input_size=(64, 64))
    return Config(dict(model=dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                                  codec=codec, head=dict(type=head, num_keypoints=3)),
                       param_scheduler=[dict(type='MultiStepLR', milestones=[1])]))


def save(path, **entries):
    torch.save(dict(state_dict=dict(w=torch.zeros(2)), **entries), path)
    return str(path)


def test_unreadable_files_are_one_line_naming_the_file_and_the_previous_one(tmp_path):
    previous = save(tmp_path / 'epoch_1.pth', optimizer={})
    os.utime(previous, (1, 1))
    full = (tmp_path / 'epoch_1.pth').read_bytes()
    (tmp_path / 'epoch_2.pth').write_bytes(full[:len(full) // 2])
    (tmp_path / 'empty.pth').write_bytes(b'')
    (tmp_path / 'notes.pth').write_text('hello')
    torch.save(torch.zeros(3), tmp_path / 'tensor.pth')
    cases = {'epoch_2.pth': 'is not a readable checkpoint', 'empty.pth': 'is empty',
             'notes.pth': 'is not a readable checkpoint', 'tensor.pth': 'is not a checkpoint'}
    for name in cases:
        os.utime(tmp_path / name, (0, 0))  # older than epoch_1.pth: never the suggestion
    for name, problem in cases.items():
        with pytest.raises(CheckpointFileError) as error:
            read_checkpoint(str(tmp_path / name), resumable=True)
        message = str(error.value)
        assert message.startswith(f'{tmp_path / name} {problem}')
        assert message.endswith(f'resume from the previous checkpoint instead: --resume '
                                f'{previous}')
        assert '\n' not in message and 'weights_only' not in message
    assert read_checkpoint(previous)['state_dict']['w'].shape == (2,)


def test_resume_needs_optimizer_and_scheduler_state(tmp_path):
    cfg = model_cfg('HeatmapHead')
    best = save(tmp_path / 'best_pixel_error_epoch_2.pth')
    with pytest.raises(CheckpointFileError, match=re.escape(
            f'{best} has no optimizer or param_schedulers state (weights only), so training '
            f'cannot resume from it; no other checkpoint in {tmp_path}: train again, or start '
            f'a new training from its weights with --load-from {best}')):
        check_resumable(best, cfg)
    no_sched = save(tmp_path / 'epoch_2.pth', optimizer={})
    with pytest.raises(CheckpointFileError, match='has no param_schedulers state'):
        check_resumable(no_sched, cfg)
    check_resumable(save(tmp_path / 'epoch_3.pth', optimizer={}, param_schedulers=[]), cfg)


def test_choose_start(tmp_path):
    cfg = model_cfg('HeatmapHead')
    cfg.work_dir = str(tmp_path)
    with pytest.raises(CheckpointFileError, match=re.escape(
            f'--resume: no checkpoint in {tmp_path} (no last_checkpoint file); train without '
            '--resume, or use --resume-if-possible')):
        choose_start(cfg, 'auto', None, False)
    choose_start(cfg, None, None, True)  # nothing to resume: a new training
    assert not cfg.get('resume') and cfg.get('load_from') is None
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_4.pth'))
    with pytest.raises(CheckpointFileError, match='names .*epoch_4.pth, which does not exist'):
        latest_checkpoint(str(tmp_path))
    ckpt = save(tmp_path / 'epoch_4.pth', optimizer={}, param_schedulers=[])
    choose_start(cfg, None, None, True)
    assert cfg.resume is True and cfg.load_from == ckpt
    best = save(tmp_path / 'best.pth')
    choose_start(cfg, None, best, False)
    assert cfg.resume is False and cfg.load_from == best


def test_a_checkpoint_of_another_head_names_both_heads(tmp_path):
    heatmap, regression = model_cfg('HeatmapHead'), model_cfg('RegressionHead')
    trained = MODELS.build(regression.model)
    checkpoint = dict(state_dict=trained.state_dict(), meta=dict(cfg=regression.pretty_text))
    assert checkpoint_head(checkpoint) == 'RegressionHead'
    with pytest.raises(CheckpointMismatchError) as error:
        load_state_dict_strictly(MODELS.build(heatmap.model), checkpoint, 'r.pth', heatmap)
    assert str(error.value).startswith(
        "r.pth does not fit the config: the config's head is HeatmapHead, the checkpoint's "
        'head is RegressionHead; Missing keys in the checkpoint: head.upsample.')
    assert 'unexpected keys: head.fc.weight, head.fc.bias' in str(error.value)
    del checkpoint['meta']
    assert checkpoint_head(checkpoint) == 'a head with tensors head.fc.weight, head.fc.bias'
    model = MODELS.build(regression.model)
    load_state_dict_strictly(model, checkpoint, 'r.pth', regression)
    torch.testing.assert_close(model.state_dict(), trained.state_dict())
