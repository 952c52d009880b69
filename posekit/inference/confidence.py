"""Per-keypoint confidence of a predicted video, and the keypoints a model never trusts.

A keypoint whose confidence stays below a threshold (default 0.05) on every frame of a video
was most likely never learned (issue 17): its predictions are noise. Test videos after
training (``PredictVideosHook``, ``tools/test.py``) and ``tools/predict.py`` log a warning
naming such keypoints and list them in their summaries (docs/outputs.md).
"""
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from mmengine.logging import print_log

#: Below this confidence on every frame a keypoint counts as never confident.
DEFAULT_MIN_CONFIDENCE = 0.05


@dataclass
class ConfidenceReport:
    """Per-keypoint confidence over the frames of one video.

    Attributes:
        mean: ``{keypoint: mean confidence over frames}`` (NaN for models without).
        max: ``{keypoint: highest confidence of any frame}`` (NaN for models without).
    """

    mean: dict[str, float]
    max: dict[str, float]

    def never_confident(self, threshold: float = DEFAULT_MIN_CONFIDENCE) -> list[str]:
        """The keypoints whose confidence is below ``threshold`` on every frame, in order.

        A model without confidences (NaN) has none.
        """
        return [name for name, value in self.max.items() if value < threshold]


def confidence_report(predictions: pd.DataFrame) -> ConfidenceReport:
    """Mean and highest confidence of each keypoint of a DLC-format prediction table.

    Args:
        predictions: Columns ``(scorer, bodypart, x|y|likelihood)``, one row per frame.

    Returns:
        The :class:`ConfidenceReport` (NaN frames ignored; NaN for keypoints without any).
    """
    table = predictions.xs('likelihood', axis=1, level=-1)
    names = [str(name) for name in table.columns.get_level_values(-1)]
    values = table.to_numpy(dtype=float)
    finite = np.isfinite(values)
    mean, high = {}, {}
    for k, name in enumerate(names):
        column = values[finite[:, k], k]
        mean[name] = float(column.mean()) if len(column) else math.nan
        high[name] = float(column.max()) if len(column) else math.nan
    return ConfidenceReport(mean, high)


def warn_never_confident(video: str, report: ConfidenceReport,
                         threshold: float = DEFAULT_MIN_CONFIDENCE) -> list[str]:
    """Log one warning naming the video's never-confident keypoints, if it has any.

    Args:
        video: The video file (named in the warning).
        report: Its :class:`ConfidenceReport`.
        threshold: See :meth:`ConfidenceReport.never_confident`.

    Returns:
        The never-confident keypoints (empty: nothing logged).
    """
    names = report.never_confident(threshold)
    if names:
        print_log(never_confident_message(video, names, threshold), logger='current',
                  level=logging.WARNING)
    return names


def never_confident_message(video: str, names: list[str], threshold: float) -> str:
    """The warning text for keypoints below ``threshold`` on every frame of ``video``."""
    return (f'{video}: keypoint(s) {", ".join(names)} below confidence {threshold:g} on '
            'every frame: probably not learned (too few labels, too short a training, or '
            'too small in the input?)')
