"""Direct keypoint regression from pooled backbone features (LP's regression tracker)."""
from typing import Optional, Union

from torch import Tensor, nn

from posekit.codecs import BaseKeypointCodec, RegressionCodec
from posekit.registry import MODELS
from .base import BaseHead


@MODELS.register_module()
class RegressionHead(BaseHead):
    """Global average pooling and a linear layer predicting ``(x, y)`` per keypoint.

    The linear layer predicts normalised coordinates (:class:`~posekit.codecs.RegressionCodec`:
    -1 and 1 are the input's borders, 0 its centre), decoded to input pixels by the codec; it
    starts at zero, i.e. every keypoint at the centre. There are no heatmaps and no
    confidences.

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels (the tracker fills it from the backbone).
        codec: A :class:`~posekit.codecs.RegressionCodec`.
    """

    output_keys = ('keypoints_pred_augmented',)

    def __init__(self, num_keypoints: int, in_channels: int,
                 codec: Union[dict, BaseKeypointCodec], init_cfg: Optional[dict] = None):
        super().__init__(num_keypoints, in_channels, codec, init_cfg=init_cfg)
        if not isinstance(self.codec, RegressionCodec):
            raise TypeError("RegressionHead predicts normalised coordinates: the config's "
                            f'codec must be a RegressionCodec, got {self.codec!r}')
        self.fc = nn.Linear(in_channels, 2 * num_keypoints)
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """Normalised keypoints.

        Args:
            feats: ``(N, C, h, w)`` backbone features.

        Returns:
            ``(N, K, 2)`` normalised ``(x, y)``.
        """
        return self.fc(feats.float().mean(dim=(-2, -1))).view(len(feats), self.num_keypoints, 2)

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """``keypoints_pred_augmented (N, K, 2)`` in input pixels."""
        return dict(keypoints_pred_augmented=self.codec.decode(self(feats)))
