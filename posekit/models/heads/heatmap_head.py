"""Lightning Pose's heatmap head: PixelShuffle + transposed convolutions + spatial softmax."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from posekit.registry import MODELS
from .decoding import confidence_radius, input_to_heatmap, soft_argmax, window_confidence


@MODELS.register_module()
class HeatmapHead(BaseModule):
    """Upsample stride-32 backbone features to per-keypoint heatmaps and decode them.

    Layers (as LP): ``PixelShuffle(2)`` then ``n = 4 - downsample`` transposed convolutions
    (kernel 3, stride 2), each doubling the resolution, ending at ``input / 2**downsample``;
    a spatial softmax makes each map a distribution. Weights start near zero (Xavier, gain
    0.01), so initial heatmaps are almost uniform.

    Args:
        num_keypoints: K, the number of heatmaps.
        in_channels: Backbone feature channels (the tracker fills it from the backbone).
        downsample: Heatmaps are ``2**downsample`` times smaller than the input (1, 2 or 3).
        deconv_channels: Channels between transposed convolutions; None = K (LP).
        sigma: Gaussian std of the targets in heatmap pixels (sets the confidence window).
        temperature: Soft-argmax temperature (see :func:`soft_argmax`).
    """

    output_keys = ('heatmaps_pred', 'keypoints_pred_augmented', 'confidences')
    target_keys = ('heatmaps_targ',)

    def __init__(self, num_keypoints: int, in_channels: int, downsample: int = 2,
                 deconv_channels: Optional[int] = None, sigma: float = 1.25,
                 temperature: float = 20., init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_keypoints is None or num_keypoints < 1:
            raise ValueError(f'HeatmapHead: num_keypoints must be a positive int, got '
                             f'{num_keypoints!r} (tools/train.py fills it from the labels)')
        if downsample not in (1, 2, 3):
            raise ValueError(f'HeatmapHead: downsample must be 1, 2 or 3, got {downsample}')
        if in_channels % 4:
            raise ValueError(f'HeatmapHead: in_channels ({in_channels}) must be divisible by 4')
        self.num_keypoints = num_keypoints
        self.downsample = downsample
        self.stride = 2 ** downsample
        self.sigma = sigma
        self.temperature = temperature
        inner = deconv_channels or num_keypoints
        n_layers = 4 - downsample
        layers: list[nn.Module] = [nn.PixelShuffle(2)]
        channels = in_channels // 4
        for i in range(n_layers):
            out = num_keypoints if i == n_layers - 1 else inner
            layers.append(nn.ConvTranspose2d(channels, out, kernel_size=3, stride=2, padding=1,
                                             output_padding=1))
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
            ``(N, K, H/2**d, W/2**d)`` heatmaps, each summing to 1.
        """
        logits = self.upsample(feats)
        n, k, h, w = logits.shape
        return torch.softmax(logits.flatten(2).float(), dim=-1).view(n, k, h, w)

    def decode(self, heatmaps: Tensor) -> tuple[Tensor, Tensor]:
        """Keypoints and confidences from heatmaps.

        Args:
            heatmaps: ``(N, K, h, w)`` heatmaps summing to 1.

        Returns:
            ``(keypoints (N, K, 2) in input pixels, confidences (N, K))``; a confidence is
            the heatmap's probability mass within ``floor(2 sigma)`` heatmap pixels of the
            keypoint (a 5×5 window at sigma 1.25).
        """
        keypoints = soft_argmax(heatmaps, self.stride, self.temperature)
        conf = window_confidence(heatmaps, input_to_heatmap(keypoints.detach(), self.stride),
                                 confidence_radius(self.sigma))
        return keypoints, conf

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """Model outputs in the DESIGN.md vocabulary (input-space keypoints).

        Returns:
            ``heatmaps_pred (N, K, h, w)``, ``keypoints_pred_augmented (N, K, 2)`` in input
            pixels and ``confidences (N, K)``.
        """
        heatmaps = self(feats)
        keypoints, conf = self.decode(heatmaps)
        return dict(heatmaps_pred=heatmaps, keypoints_pred_augmented=keypoints,
                    confidences=conf)
