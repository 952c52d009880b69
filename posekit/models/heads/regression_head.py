"""Direct keypoint regression from pooled backbone features (LP's regression tracker)."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from posekit.registry import MODELS


@MODELS.register_module()
class RegressionHead(BaseModule):
    """Global average pooling and a linear layer predicting ``(x, y)`` per keypoint.

    The linear output is in normalised units (-1 and 1 are the input's borders, 0 its
    centre) and mapped to input pixels; it starts at zero, i.e. every keypoint at the
    centre. There are no heatmaps and no confidences.

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels (the tracker fills it from the backbone).
        backbone_stride: Input pixels per feature pixel, to recover the input size.
    """

    output_keys = ('keypoints_pred_augmented',)
    target_keys = ()

    def __init__(self, num_keypoints: int, in_channels: int, backbone_stride: int = 32,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_keypoints is None or num_keypoints < 1:
            raise ValueError(f'RegressionHead: num_keypoints must be a positive int, got '
                             f'{num_keypoints!r} (tools/train.py fills it from the labels)')
        self.num_keypoints = num_keypoints
        self.backbone_stride = backbone_stride
        self.fc = nn.Linear(in_channels, 2 * num_keypoints)
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """Keypoints in input pixels.

        Args:
            feats: ``(N, C, H/s, W/s)`` backbone features.

        Returns:
            ``(N, K, 2)`` ``(x, y)`` in input pixels.
        """
        n, _, h, w = feats.shape
        normalised = self.fc(feats.float().mean(dim=(-2, -1))).view(n, self.num_keypoints, 2)
        half = normalised.new_tensor([w, h]) * self.backbone_stride / 2
        return (normalised + 1) * half - 0.5

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """Model outputs: ``keypoints_pred_augmented (N, K, 2)`` in input pixels."""
        return dict(keypoints_pred_augmented=self(feats))
