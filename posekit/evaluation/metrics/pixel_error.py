"""Pixel error and PCK of labeled-frame predictions, in original frame pixels."""
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.evaluator import BaseMetric

from posekit.registry import METRICS


def keypoint_errors(sample: dict) -> np.ndarray:
    """Euclidean error ``(K,)`` in frame pixels of one predicted sample; NaN where unlabeled.

    A multiview sample (keypoints ``(V, K, 2)``, each view in its own frame pixels) gives
    ``(V, K)``.
    """
    pred = np.asarray(sample['keypoints'], dtype=np.float64)
    gt = np.asarray(sample['keypoints_gt'], dtype=np.float64)
    return np.linalg.norm(pred - gt, axis=-1)


class LabeledErrorMetric(BaseMetric):
    """Collects per-keypoint errors, the split and the views of every predicted labeled frame."""

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(dict(error=keypoint_errors(sample),
                                     set=sample.get('set', 'unknown'),
                                     view_names=sample.get('view_names')))

    @staticmethod
    def by_set(results: list) -> dict[str, np.ndarray]:
        """Errors ``(M, K)`` (``(M, V, K)`` multiview) of all results (key ``''``) and of
        each split, if several."""
        errors = np.stack([r['error'] for r in results])
        sets = np.array([r['set'] for r in results])
        groups = {'': errors}
        if len(set(sets)) > 1:
            groups.update({f'_{s}': errors[sets == s] for s in sorted(set(sets))})
        return groups


@METRICS.register_module()
class PixelError(LabeledErrorMetric):
    """Mean Euclidean distance (frame px) between predicted and labeled keypoints.

    Reports ``pixel_error`` over every labeled keypoint received and, when frames of several
    splits are evaluated together, ``pixel_error_{train,validation,test,...}``. NaN labels
    are skipped. Multiview samples (separate cameras) add the same per view, in the view's
    frame pixels: ``pixel_error_{view}`` and ``pixel_error_{view}_{split}``.
    """

    default_prefix = ''

    @staticmethod
    def mean(errors: np.ndarray) -> float:
        """Mean of the finite errors, NaN when there is none."""
        return float(np.nanmean(errors)) if np.isfinite(errors).any() else float('nan')

    def compute_metrics(self, results: list) -> dict[str, float]:
        groups = self.by_set(results)
        metrics = {f'pixel_error{suffix}': self.mean(e) for suffix, e in groups.items()}
        for v, view in enumerate(results[0]['view_names'] or ()):
            metrics.update({f'pixel_error_{view}{suffix}': self.mean(e[:, v])
                            for suffix, e in groups.items()})
        return metrics


@METRICS.register_module()
class PCK(LabeledErrorMetric):
    """Percentage of correct keypoints: the share of labeled keypoints within a pixel radius.

    Args:
        thresholds: Radii in frame pixels; one ``pck@{t}px`` entry each.
    """

    default_prefix = ''

    def __init__(self, thresholds: Sequence[float] = (5., 10., 20.), **kwargs):
        super().__init__(**kwargs)
        self.thresholds = tuple(thresholds)

    def compute_metrics(self, results: list) -> dict[str, float]:
        metrics = {}
        for suffix, errors in self.by_set(results).items():
            labeled = errors[np.isfinite(errors)]
            for t in self.thresholds:
                value = float((labeled <= t).mean()) if labeled.size else float('nan')
                metrics[f'pck@{t:g}px{suffix}'] = value
        return metrics
