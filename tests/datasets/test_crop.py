"""Crops around the labels (posekit/datasets/transforms/crop.py): box geometry and transform."""
import numpy as np
import pytest
from mmengine.config import Config

from posekit.datasets.transforms import CropAroundKeypoints, Resize
from posekit.datasets.transforms.crop import (box_size, crop_image, crop_matrix, crop_window,
                                              keypoint_extent)
from posekit.inference import FramePipeline

NAN = np.nan


def make_results(img, keypoints):
    return dict(img=img, keypoints=np.asarray(keypoints, np.float32), ori_shape=img.shape[:2],
                img_shape=img.shape[:2], input_from_frame=np.eye(3))


def test_extent_of_the_finite_keypoints_is_hand_computed():
    centre, size = keypoint_extent(np.array([[10., 20.], [30., 25.], [NAN, NAN], [14., 40.]]))
    np.testing.assert_array_equal(centre, [20., 30.])
    np.testing.assert_array_equal(size, [20., 20.])
    centre, size = keypoint_extent(np.full((3, 2), NAN))
    assert np.isnan(centre).all() and np.isnan(size).all()


@pytest.mark.parametrize('extent, aspect, expected', [
    ((20., 10.), 1.0, (30., 30.)),   # max(10, 20 / 1) * 1.5
    ((20., 10.), 2.0, (32., 16.)),   # max(10, 20 / 2) * 1.5 = 15 < min_size 16
    ((20., 10.), 0.5, (30., 60.)),   # max(10, 20 / 0.5) * 1.5 = 60, width 0.5 * 60
])
def test_box_size_pads_and_keeps_the_aspect(extent, aspect, expected):
    np.testing.assert_allclose(box_size(np.array(extent), 0.25, aspect, 16.), expected)


def test_crop_window_is_centred_to_half_a_pixel():
    assert crop_window(np.array([20., 30.]), np.array([30., 30.])) == (6, 16, 30, 30)
    assert crop_window(np.array([20., 30.]), np.array([31., 29.4])) == (5, 16, 31, 29)
    # odd width: the window's centre pixel is the box centre exactly
    left, top, width, height = crop_window(np.array([7.2, -3.]), np.array([5., 5.]))
    assert (left + (width - 1) / 2, top + (height - 1) / 2) == (7., -3.)


def test_crop_image_copies_pixels_and_pads_with_zeros():
    img = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    out = crop_image(img, (-2, 3, 5, 4))  # columns -2..2, rows 3..6
    assert out.shape == (4, 5, 3)
    np.testing.assert_array_equal(out[:3, 2:], img[3:6, 0:3])
    assert not out[:, :2].any() and not out[3:].any()
    np.testing.assert_array_equal(crop_matrix((-2, 3, 5, 4)),
                                  [[1, 0, 2], [0, 1, -3], [0, 0, 1]])


def test_crop_then_resize_maps_back_to_frame_pixels_within_1e_4():
    keypoints = np.array([[50.25, 60.5], [80.75, 75.125], [NAN, NAN], [62., 101.5]])
    img = np.zeros((160, 200, 3), np.uint8)
    img[60, 50] = 255  # a dot at frame pixel (50, 60)
    results = CropAroundKeypoints(padding=0.25)(make_results(img, keypoints))
    # extent (30.5, 41) -> height 61.5 -> a 62 x 62 window at centre (65.5, 81)
    left, top = 35, 51  # floor(65.5 - 30.5 + 0.5), floor(81 - 30.5 + 0.5)
    assert results['img'].shape == (62, 62, 3)
    assert np.argwhere(results['img'][..., 0] == 255).tolist() == [[60 - top, 50 - left]]
    results = Resize((96, 96))(results)
    matrix = results['input_from_frame']
    back = (results['keypoints'].astype(np.float64) - matrix[:2, 2]) @ np.linalg.inv(
        matrix[:2, :2]).T
    np.testing.assert_allclose(back, keypoints, atol=1e-4)
    assert np.isnan(back[2]).all()


def test_labels_outside_a_fixed_size_crop_become_nan():
    keypoints = np.array([[30., 50.], [50., 50.], [70., 50.], [100., 50.]])  # centre (65, 50)
    results = CropAroundKeypoints(fixed_size=(40, 30))(
        make_results(np.zeros((120, 120, 3), np.uint8), keypoints))
    assert results['img'].shape == (30, 40, 3)
    # left = floor(65 - 19.5 + 0.5) = 46, top = floor(50 - 14.5 + 0.5) = 36: columns 46..85
    np.testing.assert_allclose(results['keypoints'][1:3], [[4., 14.], [24., 14.]])
    assert np.isnan(results['keypoints'][[0, 3]]).all()


def test_jitter_moves_the_box_within_its_bounds_and_none_without_it():
    keypoints = np.array([[40., 40.], [60., 60.]])  # centre (50, 50), box 30 x 30
    img = np.zeros((100, 100, 3), np.uint8)
    plain = CropAroundKeypoints()
    first = plain(make_results(img, keypoints))['input_from_frame']
    np.testing.assert_array_equal(first, plain(make_results(img, keypoints))['input_from_frame'])
    np.testing.assert_array_equal(first[:2, 2], [-36., -36.])  # floor(50 - 14.5 + 0.5)
    np.random.seed(0)
    jitter = CropAroundKeypoints(centre_jitter=0.1, scale_jitter=0.2)
    boxes = []
    for _ in range(50):
        results = jitter(make_results(img, keypoints))
        height, width = results['img'].shape[:2]
        centre = -results['input_from_frame'][:2, 2] + (np.array([width, height]) - 1) / 2
        boxes.append((width, *centre))
    widths, centres = np.array(boxes)[:, 0], np.array(boxes)[:, 1:]
    assert widths.min() >= 24 and widths.max() <= 36 and len(set(widths)) > 5
    assert np.abs(centres - 50).max() <= 0.1 * 36 + 0.5
    assert np.abs(centres - 50).max() > 1.0


def test_a_sample_without_labels_is_not_cropped():
    img = np.zeros((20, 30, 3), np.uint8)
    results = CropAroundKeypoints()(make_results(img, np.full((2, 2), NAN)))
    assert results['img'].shape == (20, 30, 3)
    np.testing.assert_array_equal(results['input_from_frame'], np.eye(3))


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match='centre_jitter must be in'):
        CropAroundKeypoints(centre_jitter=0.7)
    with pytest.raises(ValueError, match='fixed_size must be positive'):
        CropAroundKeypoints(fixed_size=(0, 10))


def test_inference_preprocessing_skips_the_crop():
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='CropAroundKeypoints', padding=0.25),
        dict(type='Resize', input_size=(64, 48))]))))
    pipeline = FramePipeline.from_config(cfg)
    assert [type(step).__name__ for step in pipeline.steps] == ['Resize']
    assert pipeline.input_size == (64, 48)
