"""Draw predicted keypoints onto a video's frames and write an mp4 (OpenCV, ``mp4v``)."""
from collections.abc import Sequence
from typing import Optional, Union

import cv2
import matplotlib
import numpy as np
import pandas as pd

from posekit.atomic_io import atomic_output
from posekit.datasets.io import from_dataframe
from posekit.datasets.video_io import open_video, read_frames, video_info

Predictions = Union[pd.DataFrame, tuple[np.ndarray, Optional[np.ndarray]]]


def keypoint_colors(num_keypoints: int, colormap: str = 'rainbow') -> list[tuple[int, int, int]]:
    """One colour per keypoint, evenly spaced along a matplotlib colormap.

    Args:
        num_keypoints: K.
        colormap: A matplotlib colormap name.

    Returns:
        K ``(B, G, R)`` tuples of ints in 0-255 (OpenCV's channel order).
    """
    rgba = matplotlib.colormaps[colormap](np.linspace(0., 1., max(num_keypoints, 1)))
    return [tuple(int(round(255 * c)) for c in color[2::-1]) for color in rgba[:num_keypoints]]


def draw_keypoints(frame: np.ndarray, keypoints: np.ndarray, confidences: np.ndarray,
                   colors: Sequence[tuple[int, int, int]], conf_threshold: float,
                   radius: int, banner: Optional[str] = None) -> np.ndarray:
    """Draw one frame's keypoints (in place) and an optional banner.

    Args:
        frame: ``(H, W, 3)`` uint8 BGR image, modified in place.
        keypoints: ``(K, 2)`` frame pixels; NaN keypoints are skipped.
        confidences: ``(K,)``; keypoints below ``conf_threshold`` are skipped, NaN
            confidences (models without any) are drawn.
        colors: K BGR colours.
        conf_threshold: Minimum confidence of a drawn keypoint.
        radius: Circle radius in pixels.
        banner: Text written on a black strip at the top, or None.

    Returns:
        ``frame``.
    """
    shift = 4  # sub-pixel circle centres: coordinates in 1/16 px
    for (x, y), conf, color in zip(keypoints, confidences, colors):
        if not (np.isfinite(x) and np.isfinite(y)) or conf < conf_threshold:
            continue
        centre = (int(round(x * 2 ** shift)), int(round(y * 2 ** shift)))
        cv2.circle(frame, centre, radius << shift, color, -1, cv2.LINE_AA, shift)
    if banner:
        scale = max(frame.shape[0], 160) / 400
        (_, text_h), base = cv2.getTextSize(banner, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        cv2.rectangle(frame, (0, 0), (frame.shape[1] - 1, text_h + base + 4), (0, 0, 0), -1)
        cv2.putText(frame, banner, (3, text_h + 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def write_labeled_video(video_path: str, predictions: Predictions, out_path: str,
                        conf_threshold: float = 0.05, colormap: str = 'rainbow',
                        radius: Optional[int] = None, banner: bool = True,
                        chunk_size: int = 64) -> str:
    """Write a copy of a video with its predicted keypoints drawn on every frame.

    Args:
        video_path: The video the predictions were made on (read with decord).
        predictions: A DLC-format DataFrame (one row per frame, e.g. from
            ``predict_video``) or ``(keypoints (T, K, 2), confidences (T, K) or None)``, in
            frame pixels.
        out_path: The ``.mp4`` to write (``mp4v``; folders are created). It is written
            under a temporary name in the same folder and renamed when complete.
        conf_threshold: Keypoints with a lower confidence are not drawn; with NaN
            confidences (models without any) all keypoints are drawn.
        colormap: matplotlib colormap giving each keypoint its colour.
        radius: Circle radius in pixels (default: about 1% of the frame's smaller side,
            at least 2).
        banner: Write the frame index on a strip at the top.
        chunk_size: Frames decoded at a time.

    Returns:
        ``out_path``.

    Raises:
        ValueError: The predictions do not have one row per video frame.
        OSError: OpenCV cannot open ``out_path`` for writing.
    """
    if isinstance(predictions, pd.DataFrame):
        _, keypoints, confidences = from_dataframe(predictions)
    else:
        keypoints, confidences = predictions
    keypoints = np.asarray(keypoints, dtype=float)
    num_frames, num_keypoints = keypoints.shape[:2]
    confidences = np.full((num_frames, num_keypoints), np.nan) if confidences is None \
        else np.asarray(confidences, dtype=float)
    info = video_info(video_path)
    if info.num_frames != num_frames:
        raise ValueError(f'{num_frames} rows of predictions for the {info.num_frames} '
                         f'frames of {video_path}')
    colors = keypoint_colors(num_keypoints, colormap)
    radius = radius or max(2, round(min(info.width, info.height) / 100))
    with atomic_output(out_path) as tmp:  # a killed run leaves no unplayable mp4
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), info.fps or 30.,
                                 (info.width, info.height))
        if not writer.isOpened():
            raise OSError(f'OpenCV cannot write {out_path} with the mp4v codec')
        reader = open_video(video_path)
        try:
            for start in range(0, num_frames, chunk_size):
                frames = read_frames(reader, range(start, min(start + chunk_size, num_frames)))
                for t, rgb in enumerate(frames, start):
                    frame = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
                    draw_keypoints(frame, keypoints[t], confidences[t], colors, conf_threshold,
                                   radius, f'frame {t}' if banner else None)
                    writer.write(frame)
        finally:
            writer.release()
            del reader
    return out_path
