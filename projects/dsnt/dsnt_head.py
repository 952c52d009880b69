"""Integral regression (DSNT, Nibali et al. 2018) as a plug-in head: one file, no core change."""
from typing import Optional, Union

import torch
from torch import Tensor, nn

from posekit.codecs import BaseKeypointCodec
from posekit.codecs.soft_argmax import confidence_radius, window_confidence
from posekit.models.heads import BaseHead
from posekit.models.heads.heatmap_head import heatmap_stride, spatial_softmax
from posekit.registry import MODELS

#: Stride of the backbone features a head receives (docs/contracts.md, "What a change
#: touches": a backbone returns stride-32 features).
FEATURE_STRIDE = 32


def heatmap_expectation(heatmaps: Tensor) -> Tensor:
    """The mean location under each heatmap, in heatmap pixels (pixel centres on integers).

    DSNT's keypoint: ``x = sum_ij p_ij * j``, ``y = sum_ij p_ij * i`` for a map ``p`` summing
    to 1. Nibali et al. take the mean of normalised coordinates ``(2 j + 1) / w - 1``; that
    is an affine function of ``j``, so the two means differ only by the same affine map.

    Args:
        heatmaps: ``(N, K, h, w)`` maps, each summing to 1.

    Returns:
        ``(N, K, 2)`` ``(x, y)`` in heatmap pixels, differentiable in ``heatmaps``.
    """
    h, w = heatmaps.shape[-2:]
    xs = torch.arange(w, dtype=heatmaps.dtype, device=heatmaps.device)
    ys = torch.arange(h, dtype=heatmaps.dtype, device=heatmaps.device)
    return torch.stack([heatmaps.sum(dim=-2) @ xs, heatmaps.sum(dim=-1) @ ys], dim=-1)


@MODELS.register_module()
class DSNTHead(BaseHead):
    """Per-keypoint spatial-softmax heatmaps whose expectation is the keypoint (DSNT).

    A 1×1 convolution maps the stride-32 backbone features to ``K * r²`` channels and
    ``PixelShuffle(r)``, ``r = 32 / stride``, rearranges them into K maps at the codec's
    heatmap size ``input / stride``; a spatial softmax makes each map a distribution. The
    keypoint is the map's expectation (:func:`heatmap_expectation`) taken to input pixels by
    the codec's convention (``codec.to_input``), so it is differentiable and a coordinate
    loss (``RegressionMSELoss`` on ``keypoints_pred``) trains the maps directly; a heatmap
    loss against the codec's Gaussian targets (``HeatmapJSLoss``, the paper's regulariser)
    shapes them. The confidence is the codec's: the map's mass within ``floor(2 sigma)``
    heatmap pixels of the keypoint. Weights start near zero, so initial maps are almost
    uniform and every keypoint starts near the input's centre.

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels (the tracker fills it from the backbone).
        codec: A :class:`~posekit.codecs.HeatmapCodec`; the input size must be a multiple
            of 32 for the maps to have the codec's heatmap size.
        init_cfg: mmengine initialisation config.
    """

    output_keys = ('heatmaps_pred', 'keypoints_pred_augmented', 'confidences')

    def __init__(self, num_keypoints: int, in_channels: int,
                 codec: Union[dict, BaseKeypointCodec], init_cfg: Optional[dict] = None):
        super().__init__(num_keypoints, in_channels, codec, init_cfg=init_cfg)
        upscale = FEATURE_STRIDE // heatmap_stride(type(self).__name__, self.codec)
        self.logits = nn.Conv2d(in_channels, num_keypoints * upscale ** 2, kernel_size=1)
        self.shuffle = nn.PixelShuffle(upscale)
        nn.init.xavier_uniform_(self.logits.weight, gain=0.01)
        nn.init.zeros_(self.logits.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """Heatmaps from features.

        Args:
            feats: ``(N, C, H/32, W/32)`` backbone features.

        Returns:
            ``(N, K, H/stride, W/stride)`` heatmaps, each summing to 1.
        """
        return spatial_softmax(self.shuffle(self.logits(feats)))

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """Heatmaps, their expectations and confidences.

        Args:
            feats: ``(N, C, H/32, W/32)`` backbone features.

        Returns:
            ``heatmaps_pred (N, K, h, w)``, ``keypoints_pred_augmented (N, K, 2)`` in input
            pixels and ``confidences (N, K)``.
        """
        heatmaps = self(feats)
        centres = heatmap_expectation(heatmaps)
        conf = window_confidence(heatmaps, centres.detach(), confidence_radius(self.codec.sigma))
        return dict(heatmaps_pred=heatmaps, keypoints_pred_augmented=self.codec.to_input(centres),
                    confidences=conf)
