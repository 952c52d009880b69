"""Per-frame ground truth of a test video: keypoints and occlusion flags (``test_videos``)."""
from collections.abc import Sequence

import numpy as np
import pandas as pd

from posekit.datasets.io import read_dlc_csv


def read_ground_truth(path: str, num_frames: int) -> tuple[list[str], np.ndarray]:
    """Per-frame ground truth of a video from a DLC CSV whose index is the frame number.

    Args:
        path: The CSV file.
        num_frames: Frames of the video (``T``); rows beyond it are dropped.

    Returns:
        Keypoint names and ``(T, K, 2)`` keypoints in frame pixels, NaN for missing rows.

    Raises:
        ValueError: The index is not frame numbers.
    """
    table = read_dlc_csv(path)
    try:
        frames = np.array([int(float(i)) for i in table.image_paths])
    except ValueError:
        raise ValueError(f'{path}: the index must be frame numbers, got e.g. '
                         f'{table.image_paths[0]!r}') from None
    keypoints = np.full((num_frames, len(table.keypoint_names), 2), np.nan)
    inside = (frames >= 0) & (frames < num_frames)
    keypoints[frames[inside]] = table.keypoints[inside]
    return table.keypoint_names, keypoints


def read_occluded(path: str, keypoint_names: Sequence[str], num_frames: int) -> np.ndarray:
    """Per-frame occlusion flags (a CSV: index = frame, one 0/1 column per keypoint).

    Args:
        path: The CSV file.
        keypoint_names: Columns to read, in this order.
        num_frames: Frames of the video (``T``); missing frames count as not occluded.

    Returns:
        ``(T, K)`` bool.

    Raises:
        ValueError: A keypoint has no column.
    """
    table = pd.read_csv(path, index_col=0)
    missing = [name for name in keypoint_names if name not in table.columns]
    if missing:
        raise ValueError(f'{path}: no occlusion column for {missing}')
    table = table[list(keypoint_names)].reindex(range(num_frames), fill_value=0)
    return table.to_numpy(dtype=float) > 0
