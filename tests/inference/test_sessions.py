"""Multiview sessions: grouping, synchronised prediction, 3-D outputs, per-session calibration."""
import os.path as osp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.config import Config

from posekit.apis import prepare_for_inference
from posekit.datasets.io import read_dlc_csv
from posekit.evaluation.metrics.predictions_writer import PredictionsWriter
from posekit.geometry3d import read_calibration, session_calibration_path
from posekit.inference.multiview_predictor import MultiviewVideoInference
from posekit.inference.points3d import (points_table, read_points_3d, session_cameras,
                                        triangulate_views)
from posekit.inference.predictor import VideoInference
from posekit.inference.sessions import Session, session_frames, session_pattern, split_sessions
from posekit.models.losses import ReprojectionLoss
from posekit.registry import MODELS
from .conftest import write_video

TOY = Path(__file__).resolve().parents[2] / 'data' / 'toy_multiview'
VIEWS = ['top', 'bottom']
PARTS = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']


def test_videos_are_grouped_into_sessions_and_single_cameras():
    videos = ['/v/s1_top.mp4', '/v/cam.mp4', '/v/s1_bottom.mp4', '/v/s2_top.mp4',
              '/v/s1_side_top.mp4', '/w/s1_side_bottom.avi']
    sessions, singles, errors = split_sessions(videos, VIEWS)
    assert sessions == [Session('s1', ('top', 'bottom'), ('/v/s1_top.mp4', '/v/s1_bottom.mp4')),
                        Session('s1_side', ('top', 'bottom'),
                                ('/v/s1_side_top.mp4', '/w/s1_side_bottom.avi'))]
    assert singles == ['/v/cam.mp4']
    assert errors == ["session 's2' has no video of view(s) ['bottom'] (found "
                      "['/v/s2_top.mp4'])"]
    assert sessions[0].label == '/v/s1_top.mp4;/v/s1_bottom.mp4'
    assert sessions[0].output_name('bottom') == 's1_bottom'
    # another pattern: cameras first
    sessions, singles, _ = split_sessions(['/v/top-s1.mp4', '/v/bottom-s1.mp4', '/v/s1_top.mp4'],
                                          VIEWS, '{view}-{session}')
    assert [s.videos for s in sessions] == [('/v/top-s1.mp4', '/v/bottom-s1.mp4')]
    assert singles == ['/v/s1_top.mp4']
    with pytest.raises(ValueError, match=r"session 's1' has two videos of view 'top': "
                                         r"/v/s1_top.mp4 and /w/s1_top.mp4"):
        split_sessions(['/v/s1_top.mp4', '/w/s1_top.mp4'], VIEWS)


def test_session_pattern_comes_from_the_unlabeled_dataset():
    clips = dict(dataset=dict(type='MultiviewVideoClipDataset', pattern='{view}-{session}'))
    assert session_pattern(Config(dict(unlabeled_dataloader=clips))) == '{view}-{session}'
    assert session_pattern(Config(dict())) == '{session}_{view}'


def test_session_frames_refuses_views_of_different_lengths(tmp_path):
    top = write_video(tmp_path / 's_top.mp4', 12, (64, 48))
    bottom = write_video(tmp_path / 's_bottom.mp4', 10, (64, 56))
    session = Session('s', tuple(VIEWS), (str(top), str(bottom)))
    with pytest.raises(ValueError) as error:
        session_frames(session)
    assert str(error.value) == (f"session 's': its views' videos differ in frame count "
                                f"{{'{top}': 12, '{bottom}': 10}}; synchronised views need "
                                "equal counts")
    missing = Session('s', tuple(VIEWS), (str(top), str(tmp_path / 'gone_bottom.mp4')))
    with pytest.raises(FileNotFoundError, match=r"session 's': video not found: .*gone_bottom"):
        session_frames(missing)


def multiview_model(context=False):
    """An untrained ResNet-18 heatmap tracker with two camera views, input 64 x 48."""
    head = dict(type='ContextHeatmapHead') if context else dict(type='HeatmapHead')
    model = MODELS.build(dict(
        type='PoseTracker', backbone=dict(type='ResNet', depth=18),
        codec=dict(type='HeatmapCodec', input_size=(64, 48)), head=head,
        metainfo=dict(keypoint_names=['a', 'b'], num_keypoints=2, view_names=VIEWS),
        losses=[dict(type='HeatmapMSELoss')]))
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='Resize', input_size=(64, 48))]))))
    return prepare_for_inference(model, cfg, dict(keypoint_names=['a', 'b']))


@pytest.mark.parametrize('context', [False, True])
def test_views_predicted_in_one_batch_equal_each_view_alone(tmp_path, context):
    """Views of different frame sizes come back in their own frame pixels: folded into one
    backbone batch they give what each view's video gives predicted alone."""
    torch.manual_seed(0)
    model = multiview_model(context)
    top = str(write_video(tmp_path / 's_top.mp4', 11, (160, 96)))
    bottom = str(write_video(tmp_path / 's_bottom.mp4', 11, (160, 112)))
    heatmaps = [str(tmp_path / 'top.npy'), str(tmp_path / 'bottom.npy')]
    views = MultiviewVideoInference(model, batch_size=4, prefetch=False).run_views(
        [top, bottom], heatmaps, progress=False)
    for video, prediction, path in zip([top, bottom], views, heatmaps):
        alone = VideoInference(model, batch_size=5, prefetch=False).run(
            video, str(tmp_path / 'alone.npy'), progress=False)
        assert prediction.keypoints.shape == (11, 2, 2)
        np.testing.assert_allclose(prediction.keypoints, alone.keypoints, atol=1e-3)
        np.testing.assert_allclose(prediction.confidences, alone.confidences, atol=1e-5)
        np.testing.assert_allclose(np.load(path), np.load(tmp_path / 'alone.npy'), atol=1e-3)
        assert prediction.heatmaps_path == path
    # frame pixels of each view: the bottom view's y range is the taller frame's
    assert (views[0].keypoints[..., 1] <= 95.5).all()
    assert (views[1].keypoints[..., 1] <= 111.5).all()


def toy_truth():
    """The toy's true 2-D keypoints ``(V, T, K, 2)`` of session 3 and its cameras."""
    pixels = np.stack([read_dlc_csv(str(TOY / 'ground_truth' / f'session3_{v}.csv')).keypoints
                       for v in VIEWS])
    return pixels, read_calibration(str(TOY / 'calibrations' / 'session3.toml')).cameras


def test_triangulated_views_recover_the_toy_3d_and_write_a_table(tmp_path):
    pixels, cameras = toy_truth()
    truth = read_points_3d(str(TOY / 'ground_truth' / 'session3_3d.csv'), PARTS, 500)
    confidences = np.full(pixels.shape[:-1], 0.9)
    points = triangulate_views(pixels, confidences, cameras, threshold=0.5)
    assert points.points.shape == (500, 7, 3) and points.errors.shape == (2, 500, 7)
    assert np.abs(points.points - truth).max() < 0.01
    assert np.nanmax(points.frame_errors) < 1e-4
    # a view below the threshold is left out: one view left, no point, no error
    confidences[1, 3, 2] = 0.1
    dropped = triangulate_views(pixels, confidences, cameras, threshold=0.5)
    assert np.isnan(dropped.points[3, 2]).all() and np.isnan(dropped.errors[:, 3, 2]).all()
    assert np.isfinite(dropped.points[3, 1]).all()
    # a 2-pixel shift of one view's keypoint: the frame's error is the mean over the 14
    # observations of the views used
    moved = pixels.copy()
    moved[0, 7, 4, 0] += 2.
    shifted = triangulate_views(moved, None, cameras, threshold=0.)
    assert shifted.frame_errors[7] == pytest.approx(np.nanmean(shifted.errors[:, 7]))
    assert 0.5 < shifted.errors[:, 7, 4].sum() < 2.5
    table = points_table(shifted, PARTS, scorer='me')
    assert list(table.columns[:4]) == [('me', 'nose', 'x'), ('me', 'nose', 'y'),
                                       ('me', 'nose', 'z'), ('me', 'head', 'x')]
    assert table.columns[-1] == ('reprojection_error', '', '') and table.shape == (500, 22)
    table.to_csv(tmp_path / 's_3d.csv')
    np.testing.assert_array_equal(read_points_3d(str(tmp_path / 's_3d.csv'), PARTS, 500),
                                  shifted.points)
    errors = pd.read_csv(tmp_path / 's_3d.csv', header=[0, 1, 2], index_col=0).iloc[:, -1]
    np.testing.assert_array_equal(errors.to_numpy(), shifted.frame_errors)
    with pytest.raises(ValueError, match=r's_3d.csv: no 3-D column\(s\) \[.tail/x.'):
        read_points_3d(str(tmp_path / 's_3d.csv'), ['tail'], 500)


def test_a_calibration_per_session():
    pattern = str(TOY / 'calibrations' / '{session}.toml')
    assert session_calibration_path(pattern, 'session2') == str(TOY / 'calibrations' /
                                                                'session2.toml')
    assert session_calibration_path('one.toml', 'session2') == 'one.toml'
    cameras = session_cameras(pattern, 'session2', ['bottom', 'top'])
    assert [c.name for c in cameras] == ['bottom', 'top']
    assert session_cameras(pattern, 'session9', VIEWS) is None
    assert session_cameras(None, 'session2', VIEWS) is None
    # the reprojection loss keeps one calibration for every batch
    loss = ReprojectionLoss()
    with pytest.raises(ValueError, match=r"is one file per session, but the loss uses one "
                                         r"calibration for every batch; give the loss its own"):
        loss.bind(None, dict(view_names=VIEWS, calibration=pattern))
    own = ReprojectionLoss(calibration=str(TOY / 'calibrations' / 'session1.toml'))
    own.bind(None, dict(view_names=['bottom', 'top'], calibration=pattern))
    assert own.cameras.names == ['bottom', 'top']
    assert osp.basename(own.calibration_path) == 'session1.toml'


def test_predictions_writer_writes_one_table_per_view(tmp_path):
    writer = PredictionsWriter(out_dir=str(tmp_path))
    writer.dataset_meta = dict(keypoint_names=['a', 'b'])
    keypoints = torch.arange(16, dtype=torch.float32).reshape(2, 2, 2, 2)  # (N, V, K, 2)
    samples = [dict(keypoints=keypoints[i], keypoints_gt=keypoints[i] + 3.,
                    confidences=torch.full((2, 2), 0.5), set='test', view_names=VIEWS,
                    image=[f'top/{i}.png', f'bottom/{i}.png']) for i in range(2)]
    writer.process({}, samples)
    assert writer.compute_metrics(writer.results) == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'predictions_bottom.csv', 'predictions_bottom_pixel_error.csv', 'predictions_top.csv',
        'predictions_top_pixel_error.csv']
    for v, view in enumerate(VIEWS):
        table = read_dlc_csv(str(tmp_path / f'predictions_{view}.csv'))
        assert table.image_paths == [f'{view}/0.png', f'{view}/1.png']
        np.testing.assert_array_equal(table.keypoints, keypoints[:, v].numpy())
        errors = pd.read_csv(tmp_path / f'predictions_{view}_pixel_error.csv', index_col=0)
        assert list(errors.columns) == ['a', 'b', 'set']
        np.testing.assert_allclose(errors[['a', 'b']].to_numpy(), np.full((2, 2), 18 ** 0.5))
