"""Crop boxes of a video from stage-1 keypoints (posekit/datasets/crop_boxes.py)."""
import logging

import numpy as np
import pytest

from posekit.datasets import crop_boxes
from posekit.datasets.crop_boxes import (BoxOptions, confident_extents, fill_gaps,
                                         smooth_track, video_boxes)

NAN = np.nan


def test_moving_average_is_hand_computed_with_repeated_ends():
    track = np.array([[0.], [0.], [3.], [3.], [9.]])
    # padded 0 0 | 0 0 3 3 9 | 9: means of 3 -> 0, 1, 2, 5, 7
    np.testing.assert_allclose(smooth_track(track, 3)[:, 0], [0., 1., 2., 5., 7.])
    np.testing.assert_array_equal(smooth_track(track, 1), track)
    line = np.stack([np.arange(20.), 5 * np.ones(20)], axis=1)
    np.testing.assert_allclose(smooth_track(line, 5)[2:-2], line[2:-2])  # a line inside
    np.testing.assert_allclose(smooth_track(line, 5)[0], [0.6, 5.])  # (0 + 0 + 0 + 1 + 2) / 5


def test_gaps_are_interpolated_and_ends_held():
    track = np.array([[NAN, 0.], [2., 0.], [NAN, NAN], [6., 4.], [NAN, NAN]])
    np.testing.assert_allclose(fill_gaps(track), [[2, 0], [2, 0], [4, 2], [6, 4], [6, 4]])
    with pytest.raises(ValueError, match='no frame has a stage-1 keypoint'):
        fill_gaps(np.full((3, 2), NAN))


def test_only_confident_keypoints_count():
    keypoints = np.array([[[10., 20.], [30., 30.], [200., 200.]]])
    centres, sizes = confident_extents(keypoints, np.array([[0.9, 0.5, 0.1]]), 0.2)
    np.testing.assert_allclose(centres, [[20., 25.]])
    np.testing.assert_allclose(sizes, [[20., 10.]])
    # a model without confidences: every finite keypoint counts
    centres, sizes = confident_extents(keypoints, np.full((1, 3), NAN), 0.2)
    np.testing.assert_allclose(centres, [[105., 110.]])
    np.testing.assert_allclose(sizes, [[190., 180.]])


def test_video_boxes_are_smoothed_centres_and_one_padded_size():
    t = np.arange(6.)
    keypoints = np.stack([np.stack([10 + 2 * t, 20 + 0 * t], -1),
                          np.stack([30 + 2 * t, 30 + 0 * t], -1),
                          np.full((6, 2), 500.)], axis=1)
    confidences = np.tile([0.9, 0.8, 0.01], (6, 1))
    confidences[3] = 0.1  # frame 3: nothing confident -> interpolated
    keypoints[5, 1] = [50., 40.]  # frame 5: a wider extent (30 x 20)
    boxes = video_boxes(keypoints, confidences, BoxOptions(smooth_frames=3, size_quantile=1.0),
                        aspect=1.0)
    # per-frame centres x: 20 22 24 (26) 28 35; y: 25 25 25 (25) 25 30
    np.testing.assert_allclose(boxes.centres[:, 0], [(20 + 20 + 22) / 3, 22, 24, 26,
                                                     (26 + 28 + 35) / 3, (28 + 35 + 35) / 3])
    np.testing.assert_allclose(boxes.centres[:, 1], [25, 25, 25, 25, 80 / 3, 85 / 3])
    np.testing.assert_allclose(boxes.size, [45., 45.])  # max extent 30 x 20 -> 30 * 1.5
    assert boxes.window(1) == (0, 3, 45, 45)  # floor(22 - 22 + 0.5), floor(25 - 22 + 0.5)
    wide = video_boxes(keypoints, confidences, BoxOptions(size_quantile=0.0), aspect=2.0)
    np.testing.assert_allclose(wide.size, [32., 16.])  # 20 x 10 -> 15 < min_size 16


def test_without_any_confident_keypoint_every_keypoint_counts_with_a_warning(monkeypatch):
    logs = []
    monkeypatch.setattr(crop_boxes, 'print_log',
                        lambda message, logger, level: logs.append((message, level)))
    keypoints = np.array([[[10., 20.], [30., 30.]], [[12., 20.], [32., 40.]]])
    confidences = np.full((2, 2), 0.05)
    boxes = video_boxes(keypoints, confidences, BoxOptions(smooth_frames=1), aspect=1.0)
    np.testing.assert_allclose(boxes.centres, [[20., 25.], [22., 30.]])
    np.testing.assert_allclose(boxes.size, [30., 30.])  # quantile 0.95 of widths 20, 20
    assert logs == [('stage 1 reaches confidence 0.2 on no keypoint of any frame (highest '
                     '0.050): crop boxes from all its keypoints', logging.WARNING)]


def test_bad_box_options_are_named():
    with pytest.raises(ValueError, match='smooth_frames must be a positive odd number'):
        BoxOptions(smooth_frames=4)
    with pytest.raises(ValueError, match='size_quantile must be in'):
        BoxOptions(size_quantile=1.5)
