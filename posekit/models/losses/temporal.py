"""Unsupervised temporal-smoothness losses on clips of consecutive frames.

The input is one clip: frames ``t = 0 … T-1`` along dim 0. Each loss compares frame ``t`` with
frame ``t + 1`` per keypoint, giving ``(T-1, K)`` elements; a multiview model's clip keeps its
view axis (``(T, V, K, ...)`` → ``(T-1, V, K)``: each view's own frame-to-frame changes). As
in Lightning Pose, a pair in which either frame's confidence is below ``prob_threshold``
counts as 0 but stays in the mean (low confidence usually means occlusion, where jumps are
expected).
"""
from typing import Optional

import torch
from torch import Tensor

from posekit.registry import LOSSES
from .base import Loss
from .heatmap import heatmap_kl, heatmap_mse
from .regression import keypoint_distance


def mask_unconfident(loss: Tensor, confidences: Optional[Tensor], threshold: float) -> Tensor:
    """Zero the pairs of consecutive frames in which either frame is not confident.

    Args:
        loss: ``(T-1, ...)`` per-pair loss.
        confidences: ``(T, ...)`` confidences, or None (nothing is masked).
        threshold: Minimum confidence of both frames.

    Returns:
        ``(T-1, ...)`` loss, 0 where a frame's confidence is below ``threshold``.
    """
    if confidences is None:
        return loss
    confident = confidences.detach() >= threshold
    return torch.where(confident[1:] & confident[:-1], loss, torch.zeros_like(loss))


@LOSSES.register_module()
class TemporalLoss(Loss):
    """Penalise frame-to-frame jumps: ``relu(‖p(t+1) - p(t)‖ - epsilon)`` per keypoint.

    ``compute`` returns ``(T-1, K)`` distances in the keypoints' units (frame pixels for
    ``keypoints_pred``), set to 0 where either frame's confidence is below ``prob_threshold``
    (such pairs stay in the mean). A pair where either prediction has a NaN coordinate is
    excluded from the mean and receives no gradient. Models without confidences (regression)
    map ``confidences`` to None in ``data_info``: no pair is masked.

    Args:
        prob_threshold: Minimum confidence of both frames for a pair to be penalised.
        **kwargs: :class:`Loss` arguments (``epsilon`` in pixels, e.g. 20 as LP's default).
    """

    name = 'temporal'
    default_data_info = dict(keypoints='keypoints_pred', confidences='confidences')
    view_axis = True

    def __init__(self, prob_threshold: float = 0., **kwargs):
        super().__init__(**kwargs)
        self.prob_threshold = float(prob_threshold)

    def compute(self, keypoints: Tensor, confidences: Optional[Tensor] = None
                ) -> tuple[Tensor, Tensor]:
        """Masked frame-to-frame distances.

        Args:
            keypoints: ``(T, K, 2)`` predictions of consecutive frames (``(T, V, K, 2)``
                with a view axis).
            confidences: ``(T, K)`` (``(T, V, K)``) their confidences, or None.

        Returns:
            ``(distances (T-1, K), valid (T-1, K))`` (``(T-1, V, K)`` with a view axis).
        """
        distance, valid = keypoint_distance(keypoints[1:], keypoints[:-1])
        return mask_unconfident(distance, confidences, self.prob_threshold), valid

    def extra_repr(self) -> str:
        return f'prob_threshold={self.prob_threshold}, ' + super().extra_repr()


@LOSSES.register_module()
class TemporalHeatmapLoss(Loss):
    """Penalise changes between consecutive predicted heatmaps, per keypoint.

    ``kind='mse'``: ``sum_pixels((h_{t+1} - h_t)²)`` (LP's MSE scaled by ``h·w``);
    ``kind='kl'``: ``KL(h_t ‖ h_{t+1})`` with 1e-10 smoothing, averaged over pixels (as
    :func:`heatmap_kl`). ``compute`` returns ``(T-1, K)``, 0 where either frame's confidence
    is below ``prob_threshold`` (kept in the mean). The loss is named
    ``temporal_heatmap_{kind}``.

    Args:
        kind: ``'mse'`` or ``'kl'``.
        prob_threshold: Minimum confidence of both frames for a pair to be penalised.
        **kwargs: :class:`Loss` arguments.
    """

    name = 'temporal_heatmap'
    default_data_info = dict(heatmaps='heatmaps_pred', confidences='confidences')
    view_axis = True
    divergences = dict(mse=heatmap_mse, kl=heatmap_kl)

    def __init__(self, kind: str = 'mse', prob_threshold: float = 0., **kwargs):
        if kind not in self.divergences:
            raise ValueError(f"TemporalHeatmapLoss: kind must be 'mse' or 'kl', got {kind!r}")
        kwargs.setdefault('name', f'temporal_heatmap_{kind}')
        super().__init__(**kwargs)
        self.kind = kind
        self.prob_threshold = float(prob_threshold)

    def compute(self, heatmaps: Tensor, confidences: Optional[Tensor] = None) -> Tensor:
        """Masked divergences between consecutive heatmaps.

        Args:
            heatmaps: ``(T, K, h, w)`` predicted heatmaps of consecutive frames
                (``(T, V, K, h, w)`` with a view axis).
            confidences: ``(T, K)`` (``(T, V, K)``) their confidences, or None.

        Returns:
            ``(T-1, K)`` divergences (``(T-1, V, K)`` with a view axis).
        """
        divergence = self.divergences[self.kind](heatmaps[1:], heatmaps[:-1])
        return mask_unconfident(divergence, confidences, self.prob_threshold)

    def extra_repr(self) -> str:
        return f'kind={self.kind!r}, prob_threshold={self.prob_threshold}, ' + \
            super().extra_repr()
