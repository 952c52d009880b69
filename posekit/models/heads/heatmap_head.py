"""Lightning Pose's heatmap head: PixelShuffle + transposed convolutions + spatial softmax."""
from typing import Optional, Union

import torch
from torch import Tensor, nn

from posekit.codecs import BaseKeypointCodec, HeatmapCodec
from posekit.registry import MODELS
from .base import BaseHead


def spatial_softmax(logits: Tensor) -> Tensor:
    """Softmax over each map's pixels, in float32.

    Args:
        logits: ``(N, K, h, w)`` logits.

    Returns:
        ``(N, K, h, w)`` float32 maps, each summing to 1.
    """
    n, k, h, w = logits.shape
    return torch.softmax(logits.flatten(2).float(), dim=-1).view(n, k, h, w)


def double_resolution(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """A transposed convolution (kernel 3, stride 2) that doubles height and width."""
    return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1,
                              output_padding=1)


def heatmap_stride(head: str, codec: BaseKeypointCodec) -> int:
    """The codec's heatmap stride, refusing codecs that make no heatmaps.

    Raises:
        TypeError: ``codec`` is not a :class:`HeatmapCodec`.
    """
    if not isinstance(codec, HeatmapCodec):
        raise TypeError(f"{head} decodes heatmaps: the config's codec must be a HeatmapCodec, "
                        f'got {codec!r}')
    return codec.stride


@MODELS.register_module()
class HeatmapHead(BaseHead):
    """Upsample stride-32 backbone features to per-keypoint heatmaps and decode them.

    Layers (as LP): ``PixelShuffle(2)`` then ``log2(32 / stride) - 1`` transposed
    convolutions (kernel 3, stride 2), each doubling the resolution, ending at the codec's
    heatmap size ``input / stride``; a spatial softmax makes each map a distribution.
    Weights start near zero (Xavier, gain 0.01), so initial heatmaps are almost uniform.

    Args:
        num_keypoints: K, the number of heatmaps.
        in_channels: Backbone feature channels (divisible by 4).
        codec: A :class:`~posekit.codecs.HeatmapCodec` (stride 2, 4 or 8).
        deconv_channels: Channels between transposed convolutions; None = K (LP).
    """

    output_keys = ('heatmaps_pred', 'keypoints_pred_augmented', 'confidences')

    def __init__(self, num_keypoints: int, in_channels: int,
                 codec: Union[dict, BaseKeypointCodec], deconv_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(num_keypoints, in_channels, codec, init_cfg=init_cfg)
        stride = heatmap_stride(type(self).__name__, self.codec)
        if in_channels % 4:
            raise ValueError(f'HeatmapHead: in_channels ({in_channels}) must be divisible by 4')
        inner = deconv_channels or num_keypoints
        # after PixelShuffle the features are at stride 16; each layer halves the stride
        n_layers = 4 - (stride.bit_length() - 1)
        layers: list[nn.Module] = [nn.PixelShuffle(2)]
        channels = in_channels // 4
        for i in range(n_layers):
            out = num_keypoints if i == n_layers - 1 else inner
            layers.append(double_resolution(channels, out))
            channels = out
        self.upsample = nn.Sequential(*layers)
        for layer in self.upsample:
            if isinstance(layer, nn.ConvTranspose2d):
                nn.init.xavier_uniform_(layer.weight, gain=0.01)
                nn.init.zeros_(layer.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """Heatmaps from features.

        Args:
            feats: ``(N, C, H/32, W/32)`` backbone features.

        Returns:
            ``(N, K, H/stride, W/stride)`` heatmaps, each summing to 1.
        """
        return spatial_softmax(self.upsample(feats))

    def decode(self, heatmaps: Tensor) -> dict[str, Tensor]:
        """The output-vocabulary entries of heatmaps (the codec's soft-argmax).

        Args:
            heatmaps: ``(N, K, h, w)`` maps summing to 1.

        Returns:
            ``heatmaps_pred``, ``keypoints_pred_augmented (N, K, 2)`` in input pixels and
            ``confidences (N, K)``.
        """
        keypoints, conf = self.codec.decode(heatmaps)
        return dict(heatmaps_pred=heatmaps, keypoints_pred_augmented=keypoints,
                    confidences=conf)

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """See :meth:`BaseHead.predict` and :meth:`decode`."""
        return self.decode(self(feats))
