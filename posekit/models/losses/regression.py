"""Supervised keypoint losses on coordinates, and the NaN-safe distance other losses share.

Keypoints are ``(N, K, 2)`` ``(x, y)`` in frame pixels with NaN for unlabeled keypoints
(docs/contracts.md, "Coordinates"). Keypoints whose prediction or target has a NaN coordinate
are invalid: they give 0, are excluded from the mean, and receive no gradient (never NaN).
"""
import torch
from torch import Tensor

from posekit.registry import LOSSES
from .base import Loss


def keypoint_distance(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Euclidean distance between two sets of points, safe for NaN and coincident points.

    Args:
        a: ``(..., 2)`` points.
        b: ``(..., 2)`` points (broadcastable to ``a``).

    Returns:
        ``(distance, valid)``, both ``(...)``: ``‖a - b‖`` where neither point has a NaN
        coordinate and 0 elsewhere, and the mask of those valid elements. Gradients are finite
        everywhere: 0 for invalid elements and for coincident points.
    """
    valid = ~(a.isnan().any(-1) | b.isnan().any(-1))
    diff = torch.where(valid.unsqueeze(-1), a - b, torch.zeros_like(a - b))
    return torch.linalg.vector_norm(diff, dim=-1), valid


class RegressionLoss(Loss):
    """A per-keypoint loss between ``keypoints_pred`` and ``keypoints_targ`` (frame px)."""

    default_data_info = dict(pred='keypoints_pred', target='keypoints_targ')


@LOSSES.register_module()
class RegressionMSELoss(RegressionLoss):
    """Squared Euclidean distance per keypoint, ``‖pred - target‖²`` (px²).

    ``compute`` returns ``(N, K)``; keypoints with a NaN target (unlabeled) are excluded from
    the mean, so an all-unlabeled batch gives 0 (with a gradient path).
    """

    name = 'regression_mse'

    def compute(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, K)`` squared distances and the mask of labeled keypoints.

        Args:
            pred: ``(N, K, 2)`` predicted keypoints.
            target: ``(N, K, 2)`` labels, NaN for unlabeled keypoints.
        """
        distance, valid = keypoint_distance(pred, target)
        return distance.pow(2), valid


@LOSSES.register_module()
class RegressionRMSELoss(RegressionLoss):
    """Euclidean distance per keypoint, ``‖pred - target‖``: the pixel error itself.

    Unlike Lightning Pose's RMSE loss (which divides by √2, treating x and y as separate
    elements), the mean of this loss is the mean pixel error over labeled keypoints.
    """

    name = 'regression_rmse'

    def compute(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, K)`` distances in pixels and the mask of labeled keypoints.

        Args:
            pred: ``(N, K, 2)`` predicted keypoints.
            target: ``(N, K, 2)`` labels, NaN for unlabeled keypoints.
        """
        return keypoint_distance(pred, target)
