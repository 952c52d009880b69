import numpy as np
import pytest
import torch

from posekit.codecs import HeatmapCodec
from posekit.codecs.soft_argmax import soft_argmax, window_confidence
from posekit.models.geometry import input_to_frame
from posekit.registry import MODELS

CODEC = dict(type='HeatmapCodec', input_size=(160, 128), stride=4, sigma=1.25)


def target_maps(keypoints_input, input_size=(128, 96), stride=4):
    """Heatmap targets rendered by the codec, as a (1, K, h, w) tensor."""
    codec = HeatmapCodec(input_size, stride=stride, sigma=1.25)
    return torch.from_numpy(codec.encode(np.asarray(keypoints_input, np.float32))['heatmaps'])[None]


def test_soft_argmax_recovers_sub_pixel_keypoints():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform([8, 8], [120, 88], size=(50, 2))
    decoded = soft_argmax(target_maps(keypoints), stride=4)[0].numpy()
    errors = np.linalg.norm(decoded - keypoints, axis=-1)
    assert errors.max() < 0.1  # input pixels


def test_window_confidence_is_mass_near_the_keypoint():
    heatmaps = torch.zeros(1, 2, 10, 10)
    heatmaps[0, 0, 4, 4] = 0.6
    heatmaps[0, 0, 6, 6] = 0.3   # inside the 5x5 window around (4, 4)
    heatmaps[0, 0, 9, 9] = 0.1   # outside
    heatmaps[0, 1] = 0.01        # uniform map
    conf = window_confidence(heatmaps, torch.tensor([[[4., 4.], [4.2, 3.9]]]), radius=2)
    assert conf[0].tolist() == pytest.approx([0.9, 0.25])


def test_head_shapes_and_decoded_outputs():
    head = MODELS.build(dict(type='HeatmapHead', num_keypoints=5, in_channels=64, codec=CODEC))
    outputs = head.predict(torch.randn(3, 64, 4, 5))  # input 128 x 160
    assert outputs['heatmaps_pred'].shape == (3, 5, 32, 40)
    torch.testing.assert_close(outputs['heatmaps_pred'].sum(dim=(-2, -1)), torch.ones(3, 5))
    assert outputs['keypoints_pred_augmented'].shape == (3, 5, 2)
    assert outputs['confidences'].shape == (3, 5)
    eight = MODELS.build(dict(type='HeatmapHead', num_keypoints=5, in_channels=64,
                              codec=dict(CODEC, stride=8)))
    assert eight(torch.randn(1, 64, 4, 5)).shape == (1, 5, 16, 20)
    two = MODELS.build(dict(type='HeatmapHead', num_keypoints=5, in_channels=64,
                            codec=dict(CODEC, stride=2)))
    assert two(torch.randn(1, 64, 4, 5)).shape == (1, 5, 64, 80)


def test_head_argument_errors():
    with pytest.raises(ValueError, match='num_keypoints must be a positive int'):
        MODELS.build(dict(type='HeatmapHead', num_keypoints=None, in_channels=64, codec=CODEC))
    with pytest.raises(ValueError, match='stride must be 2, 4 or 8, got 16'):
        MODELS.build(dict(type='HeatmapHead', num_keypoints=2, in_channels=64,
                          codec=dict(CODEC, stride=16)))
    with pytest.raises(TypeError, match='must be a HeatmapCodec, got RegressionCodec'):
        MODELS.build(dict(type='HeatmapHead', num_keypoints=2, in_channels=64,
                          codec=dict(type='RegressionCodec', input_size=(64, 64))))


def test_input_to_frame_inverts_the_affine_and_un_flips():
    # frame -> input: scale by 0.5 then mirror x in a 64-px-wide input
    matrix = torch.tensor([[[-0.5, 0., 63.], [0., 0.5, 0.], [0., 0., 1.]]])
    frame = torch.tensor([[[10., 20.], [30., 40.]]])
    mirrored = frame @ matrix[0, :2, :2].T + matrix[0, :2, 2]
    swapped = mirrored[:, [1, 0]]  # the flip swapped the two keypoints' names
    back = input_to_frame(swapped, matrix, torch.tensor([[1, 0]]))
    torch.testing.assert_close(back, frame)
    conf = input_to_frame(torch.tensor([[0.2, 0.9]]), matrix, torch.tensor([[1, 0]]))
    assert conf[0].tolist() == pytest.approx([0.9, 0.2])
