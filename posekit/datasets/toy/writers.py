"""Writing the toy project's files: videos, extracted PNGs, label CSVs, ground truth, meta."""
import json
import os
import os.path as osp
from collections.abc import Iterable

import cv2
import numpy as np
import pandas as pd

from posekit.atomic_io import write_text_atomic
from posekit.datasets.io import write_csv_atomic, write_dlc_csv
from posekit.datasets.video_io import read_frames
from .motion import Session
from .render import render_session
from .spec import FPS, FRAME_SIZE, KEYPOINT_NAMES, META_FILE, SESSIONS, TOY_VERSION


def image_path(session_name: str, frame: int) -> str:
    """Project-relative path of a frame image, e.g. ``labeled-data/session1/img00012.png``."""
    return f'labeled-data/{session_name}/img{frame:05d}.png'


def write_video(path: str, frames: Iterable[np.ndarray], size: tuple[int, int]) -> None:
    """Write RGB frames as an mp4v video at ``FPS`` (parent folder created).

    Args:
        path: The video file.
        frames: ``(H, W, 3)`` uint8 RGB frames.
        size: ``(W, H)``.
    """
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS, size)
    if not writer.isOpened():
        raise RuntimeError(f'cv2 cannot open an mp4v video writer for {path}')
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def extract_pngs(root: str, video: str, folder: str, frames: set[int]) -> None:
    """Decode frames of a written video into ``root/labeled-data/<folder>/img%05d.png``.

    Args:
        root: Project root.
        video: The video file.
        folder: Folder under ``labeled-data`` (the session, or ``<session>_<view>``).
        frames: Frame indices.
    """
    if not frames:
        return
    os.makedirs(osp.join(root, 'labeled-data', folder), exist_ok=True)
    frames = sorted(frames)
    for t, rgb in zip(frames, read_frames(video, frames)):
        if not cv2.imwrite(osp.join(root, image_path(folder, t)),
                           cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise RuntimeError(f'cv2 could not write {image_path(folder, t)} in {root}')


def write_media(root: str, session: Session, png_frames: set[int]) -> None:
    """Write a session's mp4 video, then extract the chosen frames from it as PNGs.

    The PNGs are decoded from the written video, as DeepLabCut extracts frames to label: the
    labeled frames carry the same compression artifacts as the video frames a model sees in
    semi-supervised training and inference (rendered frames written losslessly would give the
    network a cue telling labeled frames from video frames).

    Args:
        root: Project root.
        session: The session.
        png_frames: Frames also written to ``labeled-data/<session>/``.
    """
    name = session.spec.name
    video = osp.join(root, session.spec.video_dir, f'{name}.mp4')
    write_video(video, render_session(session), (FRAME_SIZE, FRAME_SIZE))
    extract_pngs(root, video, name, png_frames)


def write_labels(root: str, session: Session, frames: np.ndarray, file_name: str) -> None:
    """Write the labels of ``frames`` as a DLC CSV, NaN where the bar occludes a keypoint."""
    keypoints = session.keypoints[frames].copy()
    keypoints[session.occluded[frames]] = np.nan
    name = session.spec.name
    write_dlc_csv(osp.join(root, 'labeled-data', name, file_name),
                  [image_path(name, int(f)) for f in frames], KEYPOINT_NAMES, keypoints,
                  scorer='toy')


def write_ground_truth(root: str, session: Session) -> None:
    """Write every frame's true keypoints (DLC CSV) and occlusion flags (0/1 CSV)."""
    name, n_frames = session.spec.name, session.spec.n_frames
    write_dlc_csv(osp.join(root, 'ground_truth', f'{name}.csv'), range(n_frames),
                  KEYPOINT_NAMES, session.keypoints, scorer='toy')
    flags = pd.DataFrame(session.occluded.astype(int), columns=list(KEYPOINT_NAMES),
                         index=pd.RangeIndex(n_frames, name='frame'))
    write_csv_atomic(flags, osp.join(root, 'ground_truth', f'{name}_occluded.csv'))


def write_meta(root: str, seed: int, labeled: dict[str, np.ndarray], **fields) -> None:
    """Write ``toy_meta.json`` atomically: generator, version, seed, fps, session lengths,
    the project kind's own ``fields`` (frame size, names, videos…) and the labeled frames.

    Args:
        root: Project root.
        seed: Project seed.
        labeled: Session name -> its labeled frame indices.
        **fields: The kind's entries (e.g. ``frame_size``, ``keypoint_names``, ``videos``).
    """
    meta = dict(generator='posekit.datasets.toy', version=TOY_VERSION, seed=seed, fps=FPS,
                session_lengths={s.name: s.n_frames for s in SESSIONS}, **fields,
                labeled_frames={name: [int(f) for f in frames]
                                for name, frames in labeled.items()})
    write_text_atomic(osp.join(root, META_FILE), json.dumps(meta, indent=1))


def session_videos() -> dict[str, str]:
    """Each session's video, relative to the project root (one camera)."""
    return {s.name: f'{s.video_dir}/{s.name}.mp4' for s in SESSIONS}
