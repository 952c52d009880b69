"""Supervised heatmap losses with Lightning Pose's semantics.

Each returns one element per (sample, keypoint) map (any leading axes: ``(..., h, w)`` →
``(...)``), so ``epsilon`` and the ``mean``
reduction act per map; maps whose target is all zeros (unlabeled keypoints) are invalid and
skipped, as in LP's ``remove_nans``.
"""
import torch
from torch import Tensor

from posekit.registry import LOSSES
from .base import Loss

SMOOTH = 1e-10


def labeled_maps(targets: Tensor) -> Tensor:
    """Boolean ``(N, K)`` mask of target maps that are not all zero."""
    return targets.flatten(-2).abs().sum(-1) > 0


def heatmap_mse(pred: Tensor, target: Tensor) -> Tensor:
    """Per-map MSE scaled by the map size ``h * w`` (i.e. the sum of squared differences).

    Args:
        pred: ``(N, K, h, w)`` predicted heatmaps.
        target: ``(N, K, h, w)`` target heatmaps.

    Returns:
        ``(N, K)``: ``mean_pixels((target - pred)**2) * h * w``.
    """
    return (target - pred).pow(2).flatten(-2).sum(-1)


def heatmap_kl(pred: Tensor, target: Tensor) -> Tensor:
    """Per-map KL(target ‖ pred) with 1e-10 smoothing, averaged over pixels (LP).

    Returns:
        ``(N, K)``: ``mean_pixels((t + s) * (log(t + s) - log(p + s)))``, ``s = 1e-10``.
    """
    t, p = target + SMOOTH, pred + SMOOTH
    return (t * (t.log() - p.log())).flatten(-2).mean(-1)


def heatmap_js(pred: Tensor, target: Tensor) -> Tensor:
    """Per-map Jensen-Shannon divergence with 1e-10 smoothing, averaged over pixels (LP).

    Returns:
        ``(N, K)``: ``mean_pixels(0.5 * t log(t/m) + 0.5 * p log(p/m))``, ``m = (t + p) / 2``.
    """
    t, p = target + SMOOTH, pred + SMOOTH
    m = 0.5 * (t + p)
    js = 0.5 * t * (t.log() - m.log()) + 0.5 * p * (p.log() - m.log())
    return js.flatten(-2).mean(-1)


class HeatmapLoss(Loss):
    """A heatmap loss between ``heatmaps_pred`` and ``heatmaps_targ``, skipping empty maps."""

    default_data_info = dict(pred='heatmaps_pred', target='heatmaps_targ')

    @staticmethod
    def elementwise(pred: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    def compute(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """Per-map loss ``(N, K)`` and the mask of labeled (non-zero target) maps."""
        target = torch.nan_to_num(target)
        return self.elementwise(pred, target), labeled_maps(target)


@LOSSES.register_module()
class HeatmapMSELoss(HeatmapLoss):
    """``sum_pixels((target - pred)**2)`` per map, i.e. LP's MSE scaled by ``h * w``."""
    name = 'heatmap_mse'
    elementwise = staticmethod(heatmap_mse)


@LOSSES.register_module()
class HeatmapKLLoss(HeatmapLoss):
    """KL(target ‖ pred) per map, averaged over pixels, 1e-10 smoothing (LP)."""
    name = 'heatmap_kl'
    elementwise = staticmethod(heatmap_kl)


@LOSSES.register_module()
class HeatmapJSLoss(HeatmapLoss):
    """Jensen-Shannon divergence per map, averaged over pixels, 1e-10 smoothing (LP)."""
    name = 'heatmap_js'
    elementwise = staticmethod(heatmap_js)
