"""Test videos against a per-frame ground truth, and PredictVideosHook after training."""
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from posekit.apis import evaluate_test_videos, evaluate_video
from posekit.datasets.io import write_dlc_csv
from posekit.registry import HOOKS
from .conftest import NAMES, NUM_FRAMES, expected_keypoints, make_model

OFFSET = np.array([3., 4.])  # the ground truth is 5 px away from every prediction


@pytest.fixture
def truth(tmp_path):
    """Ground truth 5 px from the predictions, keypoint 0 occluded and 10 px away in 0-9."""
    keypoints = np.stack([expected_keypoints(t) for t in range(NUM_FRAMES)]) + OFFSET
    keypoints[:10, 0] += OFFSET
    write_dlc_csv(tmp_path / 'truth.csv', range(NUM_FRAMES), NAMES, keypoints, scorer='toy')
    occluded = pd.DataFrame(0, index=pd.RangeIndex(NUM_FRAMES, name='frame'), columns=NAMES)
    occluded.iloc[:10, 0] = 1
    occluded.to_csv(tmp_path / 'occluded.csv')
    return dict(ground_truth=str(tmp_path / 'truth.csv'),
                occluded=str(tmp_path / 'occluded.csv'))


def test_video_metrics_against_the_ground_truth(model, video, truth, tmp_path):
    metrics = evaluate_video(model, dict(video=video, **truth), str(tmp_path / 'out')).metrics
    assert metrics['pixel_error'] == pytest.approx((10 * 10 + 80 * 5) / 90, abs=0.05)
    assert metrics['pixel_error_occluded'] == pytest.approx(10, abs=0.1)
    assert metrics['pixel_error_visible'] == pytest.approx(5, abs=0.1)
    assert metrics['pixel_error_occluded_frames'] == pytest.approx(20 / 3, abs=0.1)
    predicted = np.stack([expected_keypoints(t) for t in range(NUM_FRAMES)])
    steps = np.linalg.norm(np.diff(predicted, axis=0), axis=-1)
    assert metrics['temporal_norm'] == pytest.approx(steps.mean(), abs=0.05)
    assert metrics['jumps_above_20px'] == pytest.approx((steps > 20).mean())
    errors = pd.read_csv(tmp_path / 'out' / 'clip_pixel_error.csv', index_col=0)
    assert errors.shape == (NUM_FRAMES, 3) and list(errors.columns) == NAMES
    np.testing.assert_allclose(errors.to_numpy()[10:], 5., atol=0.15)
    assert (tmp_path / 'out' / 'clip_traces.png').is_file()


def test_a_failing_test_video_is_logged_and_skipped(model, video, tmp_path):
    metrics = evaluate_test_videos(model, [str(tmp_path / 'missing.mp4'), video],
                                   str(tmp_path / 'out')).metrics
    assert set(metrics) == {'video/clip/temporal_norm', 'video/clip/jumps_above_20px'}


def runner_for(model, video, truth, tmp_path, best_ckpt=None):
    hub = MessageHub.get_instance(f'hook-test-{tmp_path.name}')
    if best_ckpt:
        hub.update_info('best_ckpt', best_ckpt)
    cfg = Config(dict(test_videos=[dict(video=video, **truth)],
                      test_dataloader=dict(dataset=dict(pipeline=[
                          dict(type='Resize', input_size=model.input_size)]))))
    return SimpleNamespace(
        cfg=cfg, model=model, message_hub=hub, work_dir=str(tmp_path), iter=7,
        logger=mock.Mock(), visualizer=mock.Mock(),
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(
            metainfo=dict(keypoint_names=NAMES, scorer='toy'))))


def test_hook_predicts_test_videos_with_the_best_checkpoint(video, truth, tmp_path):
    model = make_model(real_backbone=True)
    features = []
    forward = model.head.forward
    model.head.forward = lambda feats: features.append(feats) or forward(feats)
    best = model.state_dict()
    best['backbone.conv1.weight'] = torch.zeros_like(best['backbone.conv1.weight'])
    torch.save(dict(state_dict=best), tmp_path / 'best.pth')
    before = model.backbone.conv1.weight.clone()
    model.train()
    runner = runner_for(model, video, truth, tmp_path, str(tmp_path / 'best.pth'))
    HOOKS.build(dict(type='PredictVideosHook', save_video=True)).after_train(runner)
    # a zero first convolution makes every frame's features equal: the best weights were used
    assert all(f.std(dim=0).max() == 0 for f in features)
    torch.testing.assert_close(model.backbone.conv1.weight, before)  # runner's model intact
    assert model.training
    out = tmp_path / 'video_preds'
    for name in ('clip.csv', 'clip_temporal_norm.csv', 'clip_pixel_error.csv',
                 'clip_traces.png', 'labeled_videos/clip_labeled.mp4'):
        assert (out / name).is_file(), name
    scalars = runner.visualizer.add_scalars.call_args
    assert scalars.kwargs['step'] == 7
    assert {'video/clip/pixel_error', 'video/clip/pixel_error_occluded'} <= set(scalars.args[0])
    assert 'video/clip/pixel_error' in runner.logger.info.call_args.args[0]


def test_hook_without_test_videos_only_warns(model, tmp_path):
    runner = SimpleNamespace(cfg=Config(dict()), logger=mock.Mock())
    HOOKS.build(dict(type='PredictVideosHook')).after_train(runner)
    assert 'no test_videos' in runner.logger.warning.call_args.args[0]
