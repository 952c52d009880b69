import numpy as np
import pytest
import torch

from posekit.codecs import HeatmapCodec
from posekit.datasets.transforms import Letterbox, Resize
from posekit.datasets.transforms.letterbox import letterbox_layout, letterbox_matrix
from posekit.inference.preprocess import FramePipeline
from posekit.models.geometry import input_to_frame
from posekit.registry import MODELS


def frame_results(width, height, keypoints):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    return dict(img=img, keypoints=np.asarray(keypoints, np.float32),
                input_from_frame=np.eye(3))


def corners_and_random(width, height, n=200):
    rng = np.random.default_rng(1)
    inside = rng.uniform([-0.5, -0.5], [width - 0.5, height - 0.5], (n, 2))
    corners = [[-0.5, -0.5], [width - 0.5, -0.5], [-0.5, height - 0.5],
               [width - 0.5, height - 0.5], [(width - 1) / 2, (height - 1) / 2]]
    return np.concatenate([corners, inside])


@pytest.mark.parametrize('input_size, inner, offset', [
    ((320, 256), (320, 240), (0, 8)),    # 4:3 into 5:4: 8 rows above and below
    ((256, 256), (256, 192), (0, 32)),   # 4:3 into a square
    ((384, 288), (384, 288), (0, 0)),    # exactly 4:3: no pad
])
def test_letterbox_round_trip_640x480_is_exact(input_size, inner, offset):
    assert letterbox_layout((640, 480), input_size) == (inner, offset)
    keypoints = corners_and_random(640, 480)
    results = Letterbox(input_size)(frame_results(640, 480, keypoints))
    assert results['img'].shape == (input_size[1], input_size[0], 3)
    scale = inner[0] / 640
    # x -> (x + 0.5) * s - 0.5 + px, uniform scale (inner is exactly 4:3 here)
    np.testing.assert_allclose(results['input_from_frame'], [
        [scale, 0., 0.5 * scale - 0.5 + offset[0]],
        [0., scale, 0.5 * scale - 0.5 + offset[1]], [0., 0., 1.]])
    # the frame's outer edges land on the scaled frame's edges inside the pad
    np.testing.assert_allclose(results['keypoints'][0], np.array(offset) - 0.5, atol=1e-5)
    np.testing.assert_allclose(results['keypoints'][3],
                               np.array(offset) + np.array(inner) - 0.5, atol=1e-4)
    back = input_to_frame(torch.from_numpy(results['keypoints'].astype(np.float64))[None],
                          torch.from_numpy(results['input_from_frame'])[None])[0].numpy()
    assert np.abs(back - keypoints).max() < 1e-4  # float32 keypoints: ~3e-5 px
    exact = input_to_frame(torch.from_numpy(keypoints @ results['input_from_frame'][:2, :2].T
                                            + results['input_from_frame'][:2, 2])[None],
                           torch.from_numpy(results['input_from_frame'])[None])[0].numpy()
    assert np.abs(exact - keypoints).max() < 1e-9


def test_letterbox_image_is_the_frame_scaled_into_a_zero_pad():
    height, width = 480, 640
    ys, xs = np.mgrid[:height, :width]
    centre = np.array([401.3, 170.6])
    blob = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * 12. ** 2))
    frame = np.repeat((blob * 250).astype(np.float32)[..., None], 3, axis=2)
    results = Letterbox((320, 256))(dict(img=frame, keypoints=centre[None].astype(np.float32),
                                         input_from_frame=np.eye(3)))
    img = results['img'][..., 0]
    assert (img[:8] == 0).all() and (img[248:] == 0).all()  # the pad
    grid_y, grid_x = np.mgrid[:256, :320]
    centroid = np.array([(img * grid_x).sum(), (img * grid_y).sum()]) / img.sum()
    # the image's blob sits where the keypoint was mapped: (401.3 * 0.5 - 0.25, 170.6 * 0.5
    # - 0.25 + 8) = (200.4, 93.05)
    np.testing.assert_allclose(results['keypoints'][0], [200.4, 93.05], atol=1e-4)
    np.testing.assert_allclose(centroid, [200.4, 93.05], atol=0.01)
    flat = Letterbox((320, 256))(dict(img=np.full((480, 640, 3), 200, np.uint8),
                                      input_from_frame=np.eye(3)))['img']
    assert (flat[8:248] == 200).all() and flat.sum() == 200 * 3 * 320 * 240


def test_square_frame_into_square_input_is_resize():
    results = frame_results(160, 160, [[10.3, 150.2]])
    boxed = Letterbox((128, 128))(dict(results, img=results['img'].copy()))
    resized = Resize((128, 128))(results)
    assert np.array_equal(boxed['img'], resized['img'])
    assert np.array_equal(boxed['input_from_frame'], resized['input_from_frame'])
    assert np.array_equal(boxed['keypoints'], resized['keypoints'])


def test_letterbox_tall_frame_pads_the_sides_and_moves_stacks_alike():
    assert letterbox_layout((406, 396), (256, 256)) == ((256, 250), (0, 3))
    assert letterbox_layout((480, 640), (320, 256)) == ((192, 256), (64, 0))
    stack = np.random.default_rng(0).integers(0, 255, (3, 640, 480, 3), dtype=np.uint8)
    out = Letterbox((320, 256))(dict(img=stack, input_from_frame=np.eye(3)))
    assert out['img'].shape == (3, 256, 320, 3)
    assert (out['img'][:, :, :64] == 0).all() and (out['img'][:, :, 256:] == 0).all()
    single = Letterbox((320, 256))(dict(img=stack[1], input_from_frame=np.eye(3)))['img']
    assert np.array_equal(out['img'][1], single)
    with pytest.raises(ValueError, match=r'input_size must be positive \(W, H\), got \(0, 3\)'):
        Letterbox((0, 3))


def test_inference_preprocessing_uses_the_letterbox_affine():
    pipeline = FramePipeline([Letterbox((320, 256))])
    assert pipeline.input_size == (320, 256)
    frame = np.zeros((480, 640, 3), np.uint8)
    img, matrix = pipeline(frame)
    assert img.shape == (256, 320, 3)
    np.testing.assert_array_equal(matrix, letterbox_matrix((640, 480), (320, 256)))
    # a prediction at an input pixel goes back to the frame pixel it came from
    predicted = torch.tensor([[[200.4, 93.05], [-0.5, 7.5]]], dtype=torch.float64)
    back = input_to_frame(predicted, torch.from_numpy(matrix)[None])
    torch.testing.assert_close(back, torch.tensor([[[401.3, 170.6], [-0.5, -0.5]]],
                                                  dtype=torch.float64))


def test_stride_2_heatmaps_at_320x256():
    codec = HeatmapCodec((320, 256), stride=2)
    assert codec.heatmap_size == (160, 128)
    keypoints = np.array([[200.4, 93.05], [17.2, 240.9]])
    heatmaps = codec.encode(keypoints)['heatmaps']
    assert heatmaps.shape == (2, 128, 160)
    decoded, _ = codec.decode(torch.from_numpy(heatmaps)[None])
    np.testing.assert_allclose(decoded[0].numpy(), keypoints, atol=0.05)
    head = MODELS.build(dict(type='HeatmapHead', num_keypoints=2, in_channels=64, codec=codec))
    assert head(torch.randn(1, 64, 8, 10)).shape == (1, 2, 128, 160)
    context = MODELS.build(dict(type='ContextHeatmapHead', num_keypoints=2, in_channels=64,
                                codec=codec))
    single, multi = context(torch.randn(1, 5, 64, 8, 10))
    assert single.shape == multi.shape == (1, 2, 128, 160)
