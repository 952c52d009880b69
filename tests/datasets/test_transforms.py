"""Tests for posekit.datasets.transforms on synthetic images (black frames, bright dots)."""
import os

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from posekit.datasets.transforms import (BrightnessContrast, GenerateTarget,
                                         HorizontalFlip, LoadFrame, MotionBlur, PackPoseInputs,
                                         RandomAffine, RandomCropPad, Resize)
from posekit.registry import TRANSFORMS

NAMES = ['paw_l', 'paw_r', 'nose', 'tail']


def dot_image(width, height, points=(), value=255):
    """A black RGB image with a bright pixel at each (x, y) in ``points``."""
    img = np.zeros((height, width, 3), np.uint8)
    for x, y in points:
        img[int(round(y)), int(round(x))] = value
    return img


def make_results(img, keypoints, **extra):
    """``results`` as LoadFrame leaves them, without touching the disk."""
    return dict(img=img, keypoints=np.asarray(keypoints, np.float32), ori_shape=img.shape[:2],
                img_shape=img.shape[:2], input_from_frame=np.eye(3), **extra)


def argmax_xy(img):
    """(x, y) of the brightest pixel of an (H, W, 3) image."""
    y, x = np.unravel_index(np.argmax(img.sum(axis=2)), img.shape[:2])
    return np.array([x, y])


def frame_coords(results):
    """Current keypoints mapped back to frame pixels, in label order."""
    keypoints = results['keypoints'].astype(np.float64)
    homogeneous = np.c_[keypoints, np.ones(len(keypoints))]
    back = (np.linalg.inv(results['input_from_frame']) @ homogeneous.T).T[:, :2]
    out = np.empty_like(back)
    out[results.get('flip_indices', np.arange(len(back)))] = back
    return out


# ---------------------------------------------------------------- LoadFrame

def test_load_frame_greyscale_becomes_three_equal_channels(tmp_path):
    grey = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    path = str(tmp_path / 'grey.png')
    cv2.imwrite(path, grey)
    labels = np.array([[1., 2.], [np.nan, np.nan]])
    results = LoadFrame()(dict(img_path=path, keypoints=labels))
    img = results['img']
    assert img.shape == (20, 30, 3) and img.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(img[..., channel], grey)
    assert results['ori_shape'] == results['img_shape'] == (20, 30)
    np.testing.assert_array_equal(results['input_from_frame'], np.eye(3))
    assert results['keypoints'].dtype == np.float32
    results['keypoints'][0, 0] = 99.
    assert labels[0, 0] == 1.


def test_load_frame_converts_bgr_to_rgb(tmp_path):
    path = str(tmp_path / 'red.png')
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 200
    cv2.imwrite(path, bgr)
    img = LoadFrame()(dict(img_path=path, keypoints=np.zeros((1, 2))))['img']
    assert (img[..., 0] == 200).all() and (img[..., 1:] == 0).all()


def test_load_frame_missing_file_names_path(tmp_path):
    path = str(tmp_path / 'nope.png')
    with pytest.raises(FileNotFoundError, match='nope.png'):
        LoadFrame()(dict(img_path=path, keypoints=np.zeros((1, 2))))
    garbage = tmp_path / 'garbage.png'
    garbage.write_bytes(b'not an image')
    with pytest.raises(FileNotFoundError, match='garbage.png'):
        LoadFrame(cache=True)(dict(img_path=str(garbage), keypoints=np.zeros((1, 2))))


def test_load_frame_cache_is_not_corrupted(tmp_path, monkeypatch):
    monkeypatch.setattr(LoadFrame, '_cache', {})
    path = str(tmp_path / 'dot.png')
    cv2.imwrite(path, dot_image(16, 12, [(5, 6)], value=100))
    load = LoadFrame(cache=True)
    first = load(dict(img_path=path, keypoints=[[5., 6.]]))
    assert list(LoadFrame._cache) == [(os.getpid(), path)]
    original = first['img'].copy()
    first['img'][:] = 7  # a later transform writing in place
    BrightnessContrast(brightness=0.5, contrast=0., prob=1.)(first)
    os.remove(path)  # the second read must come from the cache
    second = load(dict(img_path=path, keypoints=[[5., 6.]]))
    np.testing.assert_array_equal(second['img'], original)
    assert second['img'] is not first['img']
    assert second['img'].flags.writeable


# ---------------------------------------------------------------- Resize

def test_resize_keypoint_formula_and_matrix():
    keypoints = [[0., 0.], [10., 5.], [39., 29.], [np.nan, np.nan]]
    results = Resize((100, 45))(make_results(dot_image(40, 30), keypoints))
    assert results['img'].shape == (45, 100, 3) and results['img_shape'] == (45, 100)
    expected = (np.array(keypoints) + 0.5) * [100 / 40, 45 / 30] - 0.5
    np.testing.assert_allclose(results['keypoints'], expected, atol=1e-5)
    assert results['keypoints'].dtype == np.float32
    np.testing.assert_allclose(frame_coords(results), keypoints, atol=1e-5)


@pytest.mark.parametrize('src, dst, point, expected', [
    (96, 32, (31, 64), (10, 21)),  # shrink by 3 (INTER_AREA): x -> (x + 0.5) / 3 - 0.5
    (32, 96, (10, 21), (31, 64)),  # enlarge by 3 (INTER_LINEAR): x -> 3x + 1
])
def test_resize_moves_dot_with_keypoint(src, dst, point, expected):
    results = Resize((dst, dst))(make_results(dot_image(src, src, [point]), [point]))
    np.testing.assert_allclose(results['keypoints'][0], expected, atol=1e-5)
    np.testing.assert_array_equal(argmax_xy(results['img']), expected)


# ---------------------------------------------------------------- RandomAffine

def test_random_affine_rotation_90_is_exact():
    width = 32
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (width, width, 3), dtype=np.uint8)
    keypoints = np.array([[3., 7.], [31., 0.], [0., 31.], [12.25, 20.5]])
    results = RandomAffine(rotation=(90, 90), scale=1.)(make_results(img.copy(), keypoints))
    # +90 degrees turns the image counter-clockwise as displayed: (x, y) -> (y, W - 1 - x).
    expected = np.c_[keypoints[:, 1], width - 1 - keypoints[:, 0]]
    np.testing.assert_allclose(results['keypoints'], expected, atol=1e-9)
    np.testing.assert_array_equal(results['img'], np.rot90(img))
    dotted = RandomAffine(rotation=(90, 90), scale=1.)(make_results(
        dot_image(width, width, [(3, 7)]), [[3., 7.]]))
    np.testing.assert_array_equal(argmax_xy(dotted['img']), [7, 28])
    minus = RandomAffine(rotation=(-90, -90), scale=1.)(make_results(img.copy(), keypoints))
    np.testing.assert_allclose(minus['keypoints'],
                               np.c_[width - 1 - keypoints[:, 1], keypoints[:, 0]], atol=1e-9)


def test_random_affine_matrix_maps_keypoints_and_dot_follows():
    np.random.seed(3)
    for _ in range(5):
        point = np.random.uniform(20, 44, size=2).round()
        results = RandomAffine(rotation=40., scale=(0.9, 1.1), translate=0.05)(
            make_results(dot_image(64, 64, [point]), [point]))
        matrix = results['input_from_frame']
        new = results['keypoints'][0]
        np.testing.assert_allclose(matrix[:2, :2] @ point + matrix[:2, 2], new, atol=1e-4)
        assert np.abs(argmax_xy(results['img']) - new).max() <= 1.


def test_random_affine_prob_zero_is_identity():
    results = make_results(dot_image(8, 8, [(2, 3)]), [[2., 3.]])
    img = results['img']
    out = RandomAffine(prob=0.)(results)
    assert out['img'] is img
    np.testing.assert_array_equal(out['input_from_frame'], np.eye(3))


def test_out_of_frame_keypoints_become_nan():
    keypoints = [[1., 1.], [15.5, 15.5], [30., 16.]]
    results = RandomAffine(rotation=0., scale=2.)(make_results(dot_image(32, 32), keypoints))
    kp = results['keypoints']
    assert np.isnan(kp[0]).all() and np.isnan(kp[2]).all()
    np.testing.assert_allclose(kp[1], [15.5, 15.5], atol=1e-6)
    shifted = RandomAffine(rotation=0., scale=1., translate=(0.5, 0.5))(
        make_results(dot_image(32, 32), keypoints))
    np.testing.assert_allclose(shifted['keypoints'][0], [17., 17.], atol=1e-6)
    np.testing.assert_allclose(shifted['keypoints'][1], [31.5, 31.5])  # on the edge: kept
    assert np.isnan(shifted['keypoints'][2]).all()


# ---------------------------------------------------------------- RandomCropPad

@pytest.mark.parametrize('percent, slope, offset', [
    (-0.25, 2., -15.5),  # crop 8 px per side of 32, zoom x2 about the centre
    (0.5, 0.5, 7.75),    # pad 16 px per side: the frame's edge -0.5 lands at 7.5
])
def test_random_crop_pad_fixed(percent, slope, offset):
    keypoints = np.array([[1., 1.], [15.5, 15.5], [20., 10.]])
    results = RandomCropPad(percent=percent, prob=1.)(make_results(dot_image(32, 32),
                                                                   keypoints))
    expected = slope * keypoints + offset
    expected[(expected < -0.5).any(axis=1) | (expected > 31.5).any(axis=1)] = np.nan
    np.testing.assert_allclose(results['keypoints'], expected, atol=1e-5)
    assert np.isnan(results['keypoints'][0]).all() == (percent < 0)


def test_random_crop_pad_dot_follows_keypoint():
    np.random.seed(1)
    for _ in range(5):
        point = np.random.uniform(20, 44, size=2).round()
        results = RandomCropPad(percent=(-0.15, 0.), prob=1.)(
            make_results(dot_image(64, 48, [point]), [point]))
        assert results['img'].shape == (48, 64, 3)
        assert np.abs(argmax_xy(results['img']) - results['keypoints'][0]).max() <= 1.


def test_chain_inverse_recovers_frame_keypoints():
    np.random.seed(0)
    pipeline = [Resize((64, 48)), RandomAffine(rotation=30., scale=(0.9, 1.1), translate=0.05),
                RandomCropPad(percent=(-0.1, 0.1), prob=1.),
                HorizontalFlip(prob=1., flip_pairs=[(0, 1)])]
    frame_kp = np.array([[40., 30.], [60., 35.], [50., 45.], [np.nan, np.nan]])
    for _ in range(10):
        results = make_results(dot_image(100, 80), frame_kp)
        for transform in pipeline[:3]:
            results = transform(results)
        np.testing.assert_allclose(frame_coords(results), frame_kp, atol=1e-4)
        flipped = pipeline[3](results)
        np.testing.assert_allclose(frame_coords(flipped), frame_kp, atol=1e-4)


# ---------------------------------------------------------------- HorizontalFlip

@pytest.mark.parametrize('pairs', [[(0, 1)], [('paw_l', 'paw_r')]])
def test_flip_mirrors_and_swaps(pairs):
    width = 20
    keypoints = np.array([[2., 3.], [5., 6.], [7., 8.], [np.nan, np.nan]])
    img = np.random.default_rng(0).integers(0, 256, (10, width, 3), dtype=np.uint8)
    results = HorizontalFlip(prob=1., flip_pairs=pairs)(
        make_results(img, keypoints, keypoint_names=NAMES))
    np.testing.assert_array_equal(results['img'], img[:, ::-1])
    expected = np.array([[14., 6.], [17., 3.], [12., 8.], [np.nan, np.nan]])
    np.testing.assert_allclose(results['keypoints'], expected)
    np.testing.assert_array_equal(results['flip_indices'], [1, 0, 2, 3])
    np.testing.assert_allclose(frame_coords(results), keypoints)


def test_flip_dot_lands_on_keypoint():
    results = HorizontalFlip(prob=1.)(make_results(dot_image(20, 10, [(4, 7)]), [[4., 7.]]))
    np.testing.assert_array_equal(argmax_xy(results['img']), results['keypoints'][0])


def test_flip_unknown_name_and_bad_pairs():
    results = make_results(dot_image(8, 8), np.zeros((4, 2)), keypoint_names=NAMES)
    with pytest.raises(KeyError, match='paw_x'):
        HorizontalFlip(prob=1., flip_pairs=[('paw_l', 'paw_x')])(results)
    with pytest.raises(KeyError, match='paw_l'):
        HorizontalFlip(prob=0., flip_pairs=[('paw_l', 'paw_r')])(
            make_results(dot_image(8, 8), np.zeros((4, 2))))
    with pytest.raises(ValueError, match='out of range'):
        HorizontalFlip(prob=1., flip_pairs=[(0, 4)])(results)


def test_flip_indices_identity_and_composition():
    keypoints = np.array([[2., 3.], [5., 6.], [7., 8.], [1., 1.]])
    not_flipped = HorizontalFlip(prob=0., flip_pairs=[(0, 1)])(
        make_results(dot_image(20, 10), keypoints))
    np.testing.assert_array_equal(not_flipped['flip_indices'], np.arange(4))
    np.testing.assert_allclose(not_flipped['keypoints'], keypoints)

    results = make_results(dot_image(20, 10), keypoints)
    results = HorizontalFlip(prob=1., flip_pairs=[(0, 1)])(results)
    results = HorizontalFlip(prob=1., flip_pairs=[(1, 2)])(results)
    # Row i now holds label flip_indices[i]: rows 1 and 2 of [1, 0, 2, 3] swapped.
    np.testing.assert_array_equal(results['flip_indices'], [1, 2, 0, 3])
    np.testing.assert_allclose(results['keypoints'], keypoints[[1, 2, 0, 3]])
    np.testing.assert_allclose(results['input_from_frame'], np.eye(3))
    twice = HorizontalFlip(prob=1., flip_pairs=[(0, 1)])
    back = twice(twice(make_results(dot_image(20, 10), keypoints)))
    np.testing.assert_array_equal(back['flip_indices'], np.arange(4))
    np.testing.assert_allclose(back['keypoints'], keypoints)


# ---------------------------------------------------------------- photometric

@pytest.mark.parametrize('transform', [MotionBlur(kernel_size=(5, 5), prob=1.),
                                       BrightnessContrast(prob=1.)])
def test_photometric_changes_pixels_not_keypoints(transform):
    np.random.seed(0)
    keypoints = np.array([[10., 12.], [np.nan, np.nan]], np.float32)
    img = dot_image(32, 24, [(10, 12)], value=200)
    img[..., 1] = 60
    source = img.copy()
    results = transform(make_results(source, keypoints.copy()))
    np.testing.assert_array_equal(results['keypoints'], keypoints)
    np.testing.assert_array_equal(results['input_from_frame'], np.eye(3))
    assert results['img'].shape == img.shape and results['img'].dtype == np.uint8
    assert not np.array_equal(results['img'], img)
    np.testing.assert_array_equal(source, img)  # not in place


def test_motion_blur_kernel_and_blurred_dot_centroid():
    for size in (3, 5, 7):
        for angle in (0., 33., 90., 135.):
            kernel = MotionBlur.kernel(size, angle)
            assert kernel.shape == (size, size)
            assert kernel.sum() == pytest.approx(1., abs=1e-6)
            ys, xs = np.mgrid[:size, :size]
            centre = (size - 1) / 2
            assert (kernel * xs).sum() == pytest.approx(centre, abs=1e-5)
            assert (kernel * ys).sum() == pytest.approx(centre, abs=1e-5)
    horizontal = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]]) / 3
    np.testing.assert_allclose(MotionBlur.kernel(3, 0.), horizontal, atol=1e-6)
    with pytest.raises(ValueError):
        MotionBlur(kernel_size=(1, 2))
    np.random.seed(2)
    blurred = MotionBlur(kernel_size=7, prob=1.)(
        make_results(dot_image(32, 32, [(10, 12)], value=210), [[10., 12.]]))['img'][..., 0]
    assert (blurred > 0).sum() >= 5
    ys, xs = np.mgrid[:32, :32]
    centroid = [(blurred * xs).sum() / blurred.sum(), (blurred * ys).sum() / blurred.sum()]
    np.testing.assert_allclose(centroid, [10., 12.], atol=0.1)


def test_brightness_contrast_formula(monkeypatch):
    img = np.full((4, 4, 3), 100, np.uint8)
    img[0, 0] = 250
    img[0, 1] = 6
    draws = iter([0.0, 1.5, 0.2])  # prob check, alpha, beta / 255
    monkeypatch.setattr(np.random, 'rand', lambda: next(draws))
    monkeypatch.setattr(np.random, 'uniform', lambda low, high: next(draws))
    out = BrightnessContrast(brightness=0.2, contrast=0.5, prob=1.)(make_results(img, [[1, 1]]))
    assert out['img'][1, 1, 0] == 201 and out['img'][0, 0, 0] == 255  # 100 * 1.5 + 51
    assert out['img'][0, 1, 0] == 60
    assert img[1, 1, 0] == 100  # input untouched


# ---------------------------------------------------------------- heatmaps

def target(width, height, stride=4, **kwargs):
    """GenerateTarget with a heatmap codec for a ``width x height`` input."""
    return GenerateTarget(codec=dict(type='HeatmapCodec', input_size=(width, height),
                                     stride=stride, **kwargs))


def test_heatmap_target_peak_sum_and_centroid():
    keypoints = np.array([[25.3, 30.7], [0., 0.], [63., 31.], [np.nan, np.nan]])
    results = target(64, 48, sigma=1.25)(make_results(dot_image(64, 48), keypoints))
    heatmaps = results['heatmaps']
    assert heatmaps.shape == (4, 12, 16) and heatmaps.dtype == np.float32
    np.testing.assert_allclose(heatmaps[:3].sum(axis=(1, 2)), 1., atol=1e-5)
    assert (heatmaps[3] == 0).all()
    mapped = (keypoints[:3] + 0.5) / 4 - 0.5
    for k in range(3):
        y, x = np.unravel_index(np.argmax(heatmaps[k]), heatmaps[k].shape)
        np.testing.assert_array_equal([x, y], np.clip(np.round(mapped[k]), 0, [15, 11]))
    ys, xs = np.mgrid[:12, :16]
    centroid = [(heatmaps[0] * xs).sum(), (heatmaps[0] * ys).sum()]
    np.testing.assert_allclose(centroid, mapped[0], atol=0.05)
    assert ((heatmaps[0] * ((xs - mapped[0, 0]) ** 2)).sum()
            == pytest.approx(1.25 ** 2, rel=0.02))


def test_heatmap_target_nan_modes_and_tiny_sigma():
    keypoints = np.array([[np.nan, np.nan], [0., 0.]])
    uniform = target(8, 4, stride=2, nan_target='uniform')(
        make_results(dot_image(8, 4), keypoints))['heatmaps']
    np.testing.assert_allclose(uniform[0], np.full((2, 4), 1 / 8))
    tiny = target(32, 16, stride=8, sigma=0.01)(
        make_results(dot_image(32, 16), [[31., 15.]]))['heatmaps']
    assert np.isfinite(tiny).all() and tiny[0, 1, 3] == pytest.approx(1.)
    none = target(8, 8, stride=2)(make_results(dot_image(8, 8), np.full((2, 2), np.nan)))
    assert none['heatmaps'].shape == (2, 4, 4) and (none['heatmaps'] == 0).all()


def test_heatmap_target_errors():
    with pytest.raises(ValueError, match='not divisible by stride 4'):
        target(64, 46)
    for kwargs, message in ((dict(sigma=0.), 'sigma must be positive'),
                            (dict(sigma=-1.), 'sigma must be positive'),
                            (dict(nan_target='ones'), "nan_target must be 'zero' or 'uniform'"),
                            (dict(stride=3), 'stride must be 2, 4 or 8')):
        with pytest.raises(ValueError, match=message):
            target(64, 48, **kwargs)


# ---------------------------------------------------------------- packing

def test_pack_and_default_collate():
    samples = []
    for idx in range(2):
        results = make_results(dot_image(32, 16, [(3, 4)]), [[3., 4.], [np.nan, np.nan]],
                               img_path=f'labeled-data/v/img{idx}.png',
                               sample_idx=np.int64(idx), set='train')
        results = target(32, 16, stride=2)(results)
        samples.append(PackPoseInputs()(results))
    packed = samples[0]
    assert packed['inputs'].dtype == torch.uint8 and packed['inputs'].shape == (3, 16, 32)
    assert packed['inputs'].is_contiguous()
    assert packed['inputs'][:, 4, 3].tolist() == [255, 255, 255]
    sample = packed['data_samples']
    assert type(sample['sample_idx']) is int
    torch.testing.assert_close(sample['flip_indices'], torch.arange(2))
    batch = default_collate(samples)
    assert batch['inputs'].shape == (2, 3, 16, 32) and batch['inputs'].dtype == torch.uint8
    data = batch['data_samples']
    assert data['keypoints'].shape == (2, 2, 2) and data['keypoints'].dtype == torch.float32
    assert torch.isnan(data['keypoints'][:, 1]).all()
    assert data['input_from_frame'].shape == (2, 3, 3)
    assert data['input_from_frame'].dtype == torch.float32
    assert data['flip_indices'].shape == (2, 2) and data['flip_indices'].dtype == torch.int64
    assert data['heatmaps'].shape == (2, 2, 8, 16) and data['heatmaps'].dtype == torch.float32
    assert data['img_path'] == ['labeled-data/v/img0.png', 'labeled-data/v/img1.png']
    assert data['set'] == ['train', 'train']
    assert data['sample_idx'].tolist() == [0, 1]
    no_heatmaps = PackPoseInputs(meta_keys=())(make_results(dot_image(4, 4), [[1., 1.]]))
    assert set(no_heatmaps['data_samples']) == {'keypoints', 'input_from_frame',
                                                'flip_indices'}


# ---------------------------------------------------------------- pipeline

def test_registered_pipeline_is_reproducible(tmp_path):
    path = str(tmp_path / 'frame.png')
    cv2.imwrite(path, dot_image(120, 90, [(60, 40), (50, 50)]))
    pipeline = [TRANSFORMS.build(cfg) for cfg in [
        dict(type='LoadFrame', cache=True), dict(type='Resize', input_size=(64, 48)),
        dict(type='RandomAffine'), dict(type='RandomCropPad'),
        dict(type='HorizontalFlip', flip_pairs=[('paw_l', 'paw_r')]), dict(type='MotionBlur'),
        dict(type='BrightnessContrast'),
        dict(type='GenerateTarget', codec=dict(type='HeatmapCodec', input_size=(64, 48))),
        dict(type='PackPoseInputs')]]
    assert isinstance(pipeline[2], RandomAffine)

    def run(seed):
        np.random.seed(seed)
        results = dict(img_path=path, keypoints=[[60., 40.], [50., 50.]],
                       keypoint_names=['paw_l', 'paw_r'], sample_idx=0)
        for transform in pipeline:
            results = transform(results)
        return results

    first, second = run(5), run(5)
    torch.testing.assert_close(first['inputs'], second['inputs'])
    torch.testing.assert_close(first['data_samples']['keypoints'],
                               second['data_samples']['keypoints'], equal_nan=True)
    assert first['data_samples']['heatmaps'].shape == (2, 12, 16)
