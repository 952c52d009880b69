"""Queue picked frames for labeling: PNGs under ``labeled-data/<stem>/`` and empty label rows.

The layout is DeepLabCut's / Lightning Pose's: frame ``t`` of video ``<stem>`` becomes
``<project>/labeled-data/<stem>/img<t:08d>.png``, and the label CSV gains one row whose
index is that path relative to the project and whose keypoint cells are empty, so a labeling
tool opens the frame with nothing placed yet.
"""
import os.path as osp
import re
from collections.abc import Mapping, Sequence

import cv2

from posekit.atomic_io import atomic_output, write_text_atomic
from posekit.datasets.io import _check_header, _read_rows, read_dlc_csv
from posekit.datasets.video_io import read_frames
from .frame_selection import Pick

_FRAME_NAME = re.compile(r'img(\d+)\.png$')


def frame_image_path(stem: str, frame: int) -> str:
    """``labeled-data/<stem>/img<frame:08d>.png`` (relative to the project)."""
    return f'labeled-data/{stem}/img{frame:08d}.png'


def labeled_frames(label_csv: str) -> dict[str, set[int]]:
    """``{stem: frame numbers}`` already in a label file (rows named ``labeled-data/<stem>/
    img<t>.png``); empty when the file does not exist."""
    if not osp.isfile(label_csv):
        return {}
    frames: dict[str, set[int]] = {}
    for path in read_dlc_csv(label_csv).image_paths:
        parts = path.replace('\\', '/').split('/')
        match = _FRAME_NAME.search(parts[-1])
        if len(parts) >= 2 and match:
            frames.setdefault(parts[-2], set()).add(int(match.group(1)))
    return frames


def extract_frames(picks: Sequence[Pick], videos: Mapping[str, str], project_dir: str
                   ) -> list[str]:
    """Write the picked frames as PNGs (each through a temporary file and a rename).

    Args:
        picks: Frames to extract.
        videos: ``{stem: video file}`` for every picked stem.
        project_dir: The project folder holding ``labeled-data/``.

    Returns:
        The image paths relative to ``project_dir``, in the order of ``picks``.

    Raises:
        KeyError: A pick's stem has no video.
    """
    missing = sorted({p.stem for p in picks} - set(videos))
    if missing:
        raise KeyError(f'no video for the predictions of {missing}; pass them with --videos')
    written = {}
    for stem in sorted({p.stem for p in picks}):
        frames = sorted(p.frame for p in picks if p.stem == stem)
        images = read_frames(videos[stem], frames)
        for frame, image in zip(frames, images):
            relative = frame_image_path(stem, frame)
            path = osp.join(project_dir, relative)
            with atomic_output(path) as tmp:
                if not cv2.imwrite(tmp, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
                    raise OSError(f'cannot write {path}')
            written[(stem, frame)] = relative
    return [written[(p.stem, p.frame)] for p in picks]


def append_empty_rows(label_csv: str, image_paths: Sequence[str],
                      keypoint_names: Sequence[str], scorer: str = 'posekit') -> int:
    """Append one empty label row per image to a DLC label CSV (created when missing).

    Existing lines are kept byte for byte; the file is rewritten through a temporary file.
    A new file gets the header ``scorer / bodyparts / coords`` with ``x, y`` per keypoint.

    Args:
        label_csv: The label file.
        image_paths: Row names to add (paths relative to the project); rows already in the
            file are not added again.
        keypoint_names: Body parts of a new file.
        scorer: Scorer of a new file.

    Returns:
        The number of rows added.

    Raises:
        LabelFileError: The existing file's header is malformed.
    """
    if osp.isfile(label_csv):
        rows = _read_rows(label_csv)
        n_index = _check_header(label_csv, rows)
        width = len(rows[2])
        existing = {'/'.join(c.strip() for c in row[:n_index]) for row in rows[3:] if row}
        with open(label_csv, encoding='utf-8-sig', newline='') as f:
            text = f.read()
        if text and not text.endswith('\n'):
            text += '\n'
    else:
        n_index, width, existing = 1, 1 + 2 * len(keypoint_names), set()
        names = [name for name in keypoint_names for _ in range(2)]
        text = (','.join(['scorer'] + [scorer] * len(names)) + '\n'
                + ','.join(['bodyparts'] + names) + '\n'
                + ','.join(['coords'] + ['x', 'y'] * len(keypoint_names)) + '\n')
    new = [path for path in dict.fromkeys(image_paths) if path not in existing]
    for path in new:
        index = path.split('/', 2) if n_index == 3 else [path]
        text += ','.join(index + [''] * (width - n_index)) + '\n'
    write_text_atomic(label_csv, text)
    return len(new)
