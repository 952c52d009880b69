import numpy as np
import pytest
import torch

from posekit.codecs import HeatmapCodec, RegressionCodec, build_codec
from posekit.datasets.transforms import GenerateTarget


def test_heatmap_pixel_convention():
    codec = HeatmapCodec((64, 32), stride=4)
    # pixel centres on integers on both grids: input 1.5 is the centre of heatmap pixel 0
    assert codec.to_heatmap(np.array([1.5, -0.5, 5.5])).tolist() == [0., -0.5, 1.]
    assert codec.to_input(np.array([0., 1.])).tolist() == [1.5, 5.5]
    assert codec.heatmap_size == (16, 8)


def test_heatmap_encode_values():
    codec = HeatmapCodec((16, 16), stride=4, sigma=1.)
    maps = codec.encode(np.array([[5.5, 9.5], [np.nan, np.nan]], np.float32))['heatmaps']
    assert maps.shape == (2, 4, 4) and maps.dtype == np.float32
    # centre at heatmap pixel (1, 2): separable Gaussian normalised per axis
    g = np.exp(-(np.arange(4) - 1.) ** 2 / 2)
    gy = np.exp(-(np.arange(4) - 2.) ** 2 / 2)
    expected = np.outer(gy / gy.sum(), g / g.sum())
    np.testing.assert_allclose(maps[0], expected, rtol=1e-6)
    assert maps[0].sum() == pytest.approx(1.) and (maps[1] == 0).all()
    uniform = HeatmapCodec((16, 16), nan_target='uniform').encode(np.full((1, 2), np.nan))
    assert (uniform['heatmaps'] == 1 / 16).all()


def test_heatmap_round_trip_is_sub_pixel():
    codec = HeatmapCodec((128, 96), stride=4, sigma=1.25)
    keypoints = np.random.default_rng(0).uniform([8, 8], [120, 88], size=(30, 2))
    maps = torch.from_numpy(codec.encode(keypoints)['heatmaps'])[None]
    decoded, conf = codec.decode(maps)
    assert decoded.shape == (1, 30, 2) and conf.shape == (1, 30)
    assert np.abs(decoded[0].numpy() - keypoints).max() < 0.1
    assert 0.88 < conf.min() and conf.max() < 0.95  # the 5x5 window holds ~90% of the mass


def test_regression_round_trip_and_borders():
    codec = RegressionCodec((64, 32))
    normalised = codec.encode(np.array([[-0.5, -0.5], [63.5, 31.5], [31.5, 15.5]]))
    np.testing.assert_allclose(normalised['keypoints_normalised'],
                               [[-1, -1], [1, 1], [0, 0]], atol=1e-7)
    back = codec.decode(torch.from_numpy(normalised['keypoints_normalised'])[None])
    np.testing.assert_allclose(back[0].numpy(), [[-0.5, -0.5], [63.5, 31.5], [31.5, 15.5]],
                               atol=1e-5)


def test_codec_argument_errors():
    with pytest.raises(ValueError, match='input_size .* not divisible by stride 8'):
        HeatmapCodec((100, 64), stride=8)
    with pytest.raises(ValueError, match='input_size must be \\(width, height\\)'):
        RegressionCodec((64,))
    with pytest.raises(ValueError, match='no codec: declare one'):
        build_codec(None)
    with pytest.raises(KeyError, match="'HeatmapCodc' is not in .*did you mean 'HeatmapCodec'"):
        build_codec(dict(type='HeatmapCodc', input_size=(64, 64)))


def test_generate_target_checks_the_input_size():
    step = GenerateTarget(codec=dict(type='HeatmapCodec', input_size=(32, 16), stride=4))
    results = step(dict(img=np.zeros((16, 32, 3), np.uint8),
                        keypoints=np.array([[3.5, 5.5]], np.float32)))
    assert results['heatmaps'].shape == (1, 4, 8) and results['target_keys'] == ('heatmaps',)
    with pytest.raises(ValueError, match='made a 16x16 \\(WxH\\) image but the codec expects '
                                         'input_size \\(32, 16\\)'):
        step(dict(img=np.zeros((16, 16, 3), np.uint8), keypoints=np.zeros((1, 2), np.float32)))
