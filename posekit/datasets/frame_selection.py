"""Pick diverse frames of a video to label, and write them as a DeepLabCut labeled folder.

``kmeans`` (as DeepLabCut's ``extract_frames``): up to ``candidates`` frames spread evenly
over the video are decoded, shrunk to grey thumbnails of at most ``thumb`` pixels a side,
and clustered with k-means into ``n`` clusters; from each cluster the frame nearest its
centre is kept. ``uniform``: ``n`` frames evenly spaced over the video. Both are
reproducible (``seed``).

:func:`write_labeled_folder` writes the frames as ``labeled-data/<video stem>/img<frame:05d>
.png`` with a label CSV in posekit's DeepLabCut format whose coordinates are empty, ready
for a labeling tool; frames and CSV are written atomically, and rows already in the CSV
keep their labels.
"""
import os
import os.path as osp
from collections.abc import Sequence

import cv2
import numpy as np

from posekit.atomic_io import atomic_output
from .io import read_dlc_csv, write_dlc_csv
from .video_io import open_video, read_frames

METHODS = ('kmeans', 'uniform')


def _sq_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``(N, k)`` squared distances, without an ``(N, k, D)`` intermediate."""
    d2 = (x ** 2).sum(1)[:, None] - 2 * x @ centres.T + (centres ** 2).sum(1)[None]
    return np.maximum(d2, 0.)


def kmeans(features: np.ndarray, k: int, seed: int = 0, iterations: int = 50
           ) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ initialisation.

    Args:
        features: ``(N, D)`` float rows, ``N >= k``.
        k: Number of clusters.
        seed: Seed of the initialisation.
        iterations: Maximum number of assignment/update rounds.

    Returns:
        ``(N,)`` cluster index of each row and ``(k, D)`` centres.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(features, dtype=np.float64)
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = _sq_distances(x, np.array(centres)).min(1)
        total = d2.sum()
        centres.append(x[rng.choice(len(x), p=d2 / total)] if total > 0
                       else x[rng.integers(len(x))])
    centres = np.array(centres)
    labels = np.full(len(x), -1)
    for _ in range(iterations):
        new = _sq_distances(x, centres).argmin(1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            if (labels == c).any():
                centres[c] = x[labels == c].mean(0)
    return labels, centres


def _thumbnails(frames: np.ndarray, thumb: int) -> np.ndarray:
    h, w = frames.shape[1:3]
    scale = min(1., thumb / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.stack([cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), size,
                                interpolation=cv2.INTER_AREA).ravel() for f in frames]
                    ).astype(np.float64) / 255.


def select_frames(video: str, n: int, method: str = 'kmeans', seed: int = 0,
                  candidates: int = 1000, thumb: int = 32) -> list[int]:
    """Indices of ``n`` frames of ``video`` to label (module doc), in increasing order.

    Raises:
        ValueError: An unknown method, or ``n`` < 1.
    """
    if method not in METHODS:
        raise ValueError(f'unknown method {method!r}; choose from {METHODS}')
    if n < 1:
        raise ValueError(f'n must be at least 1, got {n}')
    reader = open_video(video)
    total = len(reader)
    if n >= total:
        return list(range(total))
    if method == 'uniform':
        return sorted({int(i) for i in np.linspace(0, total - 1, n).round()})
    pool = np.unique(np.linspace(0, total - 1, min(candidates, total)).round().astype(int))
    features = np.concatenate([_thumbnails(read_frames(reader, chunk), thumb)
                               for chunk in np.array_split(pool, max(1, len(pool) // 64))])
    labels, centres = kmeans(features, n, seed)
    chosen = []
    for c in range(n):
        members = np.flatnonzero(labels == c)
        if len(members):
            nearest = ((features[members] - centres[c]) ** 2).sum(1).argmin()
            chosen.append(int(pool[members[nearest]]))
    return sorted(set(chosen))


def _write_png_atomic(path: str, image_rgb: np.ndarray) -> None:
    ok, data = cv2.imencode('.png', cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f'cannot encode {path} as PNG')
    with atomic_output(path) as tmp, open(tmp, 'wb') as f:
        f.write(data.tobytes())


def write_labeled_folder(video: str, frames: Sequence[int], project: str,
                         keypoint_names: Sequence[str], scorer: str = 'posekit') -> str:
    """Write ``frames`` of ``video`` and an unlabeled CSV under ``project/labeled-data``.

    Args:
        video: The video file.
        frames: Frame indices to write.
        project: The project folder.
        keypoint_names: Body parts (the CSV's columns).
        scorer: The CSV's scorer; the file is ``CollectedData_<scorer>.csv``.

    Returns:
        The label CSV path.

    Raises:
        ValueError: An existing label CSV names other keypoints.
    """
    stem = osp.splitext(osp.basename(video))[0]
    folder = osp.join(project, 'labeled-data', stem)
    os.makedirs(folder, exist_ok=True)
    images = [f'labeled-data/{stem}/img{i:05d}.png' for i in frames]
    reader = open_video(video)
    for index, image in zip(frames, images):
        _write_png_atomic(osp.join(project, image), read_frames(reader, [index])[0])
    csv = osp.join(folder, f'CollectedData_{scorer}.csv')
    rows, keypoints = [], np.empty((0, len(keypoint_names), 2))
    if osp.isfile(csv):
        old = read_dlc_csv(csv)
        if old.keypoint_names != list(keypoint_names):
            raise ValueError(f'{csv}: has keypoints {old.keypoint_names}, not '
                             f'{list(keypoint_names)}')
        rows, keypoints = list(old.image_paths), old.keypoints
    new = [image for image in images if image not in rows]
    keypoints = np.concatenate([keypoints, np.full((len(new), len(keypoint_names), 2),
                                                   np.nan)])
    write_dlc_csv(csv, rows + new, keypoint_names, keypoints, scorer=scorer)
    return csv
