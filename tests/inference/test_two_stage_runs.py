"""Crop-zoom configs where single models used to be expected: PredictVideosHook after a
stage-2 training, and ensemble members (the fake stages of ``test_two_stage``)."""
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from mmengine.config import Config
from mmengine.logging import MessageHub

from posekit.apis import two_stage
from posekit.apis.ensemble import init_members
from posekit.inference import TwoStageModel
from posekit.inference.ensemble import predict_ensemble
from posekit.registry import HOOKS
from .test_two_stage import NAMES, NUM_FRAMES, fake_stage, square_centre, write_video

PIPELINE = [dict(type='LoadFrame'), dict(type='CropAroundKeypoints'),
            dict(type='Resize', input_size=(64, 64))]


def stage2_config(tmp_path, checkpoint):
    """A stage-2 config naming an existing stage-1 config and ``checkpoint``."""
    (tmp_path / 'stage1.py').write_text('model = dict()\n')
    return dict(test_dataloader=dict(dataset=dict(pipeline=PIPELINE)),
                stage1=dict(config=str(tmp_path / 'stage1.py'), checkpoint=str(checkpoint)),
                crop_box=dict(min_size=32, smooth_frames=3))


def fake_init_model(stage1_config):
    """``init_model`` giving the fake stage 1 for ``stage1_config``, else a fake stage 2."""
    return lambda config, checkpoint, device='cpu', amp=False: \
        fake_stage((80, 60)) if config == stage1_config else fake_stage((64, 64))


def hook_runner(tmp_path, cfg, model):
    return SimpleNamespace(
        cfg=Config(dict(cfg, test_videos=[write_video(tmp_path / 'square.mp4')])),
        model=model, message_hub=MessageHub.get_instance(f'two-stage-{tmp_path.name}'),
        work_dir=str(tmp_path), iter=3, logger=mock.Mock(), visualizer=mock.Mock(),
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(
            metainfo=dict(keypoint_names=NAMES, scorer='tester'))))


def predicted_centres(path):
    table = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    return np.stack([table.xs(c, axis=1, level=2).to_numpy() for c in 'xy'], axis=-1)


def test_hook_predicts_a_stage2_config_with_both_stages(tmp_path, monkeypatch):
    (tmp_path / 'stage1.pth').write_bytes(b'')
    cfg = stage2_config(tmp_path, tmp_path / 'stage1.pth')
    monkeypatch.setattr(two_stage, 'init_model', fake_init_model(cfg['stage1']['config']))
    stage2 = fake_stage((64, 64))
    runner = hook_runner(tmp_path, cfg, stage2)
    HOOKS.build(dict(type='PredictVideosHook')).after_train(runner)
    runner.logger.error.assert_not_called()
    keypoints = predicted_centres(tmp_path / 'video_preds' / 'square.csv')
    truth = np.stack([square_centre(t) for t in range(NUM_FRAMES)])
    np.testing.assert_allclose(keypoints, np.repeat(truth[:, None], 2, 1), atol=0.05)
    # stage 2 saw 64 x 64 crops with the square near their middle, once per frame
    seen = np.concatenate([s.numpy() for s in stage2.seen])
    assert seen.shape == (NUM_FRAMES, 2) and np.abs(seen - 31.5).max() < 2.5


def test_hook_names_a_missing_stage1_checkpoint_once(tmp_path):
    cfg = stage2_config(tmp_path, tmp_path / 'stage1_work_dir')
    runner = hook_runner(tmp_path, cfg, fake_stage((64, 64)))
    HOOKS.build(dict(type='PredictVideosHook')).after_train(runner)
    message, = runner.logger.error.call_args.args
    assert runner.logger.error.call_count == 1
    assert message == (f"PredictVideosHook: no test video predicted: stage1.checkpoint "
                       f"'{tmp_path}/stage1_work_dir': checkpoint not found: "
                       f'{tmp_path}/stage1_work_dir (train the first stage: tools/train.py '
                       f'{tmp_path}/stage1.py)')
    assert not (tmp_path / 'video_preds').exists()
    runner.visualizer.add_scalars.assert_not_called()


def test_ensemble_members_may_be_two_stage(tmp_path, monkeypatch):
    (tmp_path / 'stage1.pth').write_bytes(b'')
    cfg = stage2_config(tmp_path, tmp_path / 'stage1.pth')
    config = tmp_path / 'stage2.py'
    config.write_text(''.join(f'{key} = {value!r}\n' for key, value in cfg.items()))
    monkeypatch.setattr(two_stage, 'init_model', fake_init_model(cfg['stage1']['config']))
    for member in ('a.pth', 'b.pth'):
        (tmp_path / member).write_bytes(b'')
    models = init_members([str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth')], str(config))
    assert [type(m) for m in models] == [TwoStageModel, TwoStageModel]
    assert models[0].box_options.min_size == 32 and models[0].box_options.smooth_frames == 3
    video = write_video(tmp_path / 'square.mp4')
    result = predict_ensemble(models, video, str(tmp_path / 'out'), batch_size=8,
                              progress=False)
    truth = np.repeat(np.stack([square_centre(t) for t in range(NUM_FRAMES)])[:, None], 2, 1)
    for member in range(2):
        np.testing.assert_allclose(predicted_centres(tmp_path / 'out' / f'square_member'
                                                     f'{member}.csv'), truth, atol=0.05)
    mean = result.statistics['mean']
    assert mean.shape == (NUM_FRAMES, 6)
    np.testing.assert_allclose(predicted_centres(tmp_path / 'out' / 'square_ensemble_mean.csv'),
                               truth, atol=0.05)


@pytest.mark.parametrize('stage1', [None, dict(config='x.py')])
def test_a_malformed_stage1_is_one_error(tmp_path, stage1):
    cfg = dict(stage2_config(tmp_path, 'unused'), stage1=stage1 or dict(checkpoint='c'))
    runner = hook_runner(tmp_path, cfg, fake_stage((64, 64)))
    HOOKS.build(dict(type='PredictVideosHook')).after_train(runner)
    missing = "['checkpoint']" if stage1 else "['config']"
    assert runner.logger.error.call_args.args[0].endswith(f'missing: {missing}')
