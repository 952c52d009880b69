"""Writing the multiview toy project: one video and one label file per camera (LP's layout)."""
import os.path as osp
import time

import numpy as np
import pandas as pd
from mmengine.logging import print_log

from posekit.datasets.io import HEADER_NAMES, write_csv_atomic, write_dlc_csv
from posekit.geometry3d import Calibration, write_calibration
from .frames import labeled_frames, with_neighbours
from .multiview import MultiviewSession, render_view, simulate_multiview_session, toy_cameras
from .spec import LABELED_SESSION, PART_NAMES, SESSIONS, TEST_SESSION
from .writers import extract_pngs, image_path, write_meta, write_video

MULTIVIEW_VERSION = 1  # bump when the multiview project's content changes


def _write_session_media(root: str, session: MultiviewSession, png_frames: set[int]) -> None:
    """Write ``<video_dir>/<session>_<view>.mp4`` per camera and extract its labeled frames."""
    name = session.spec.name
    for view, camera in enumerate(session.cameras):
        video = osp.join(root, session.spec.video_dir, f'{name}_{camera.name}.mp4')
        write_video(video, render_view(session, view), camera.size)
        extract_pngs(root, video, f'{name}_{camera.name}', png_frames)


def _write_view_labels(root: str, session: MultiviewSession, frames: np.ndarray,
                       suffix: str) -> None:
    """Write ``CollectedData_<view><suffix>.csv`` per camera: the same instants in every file,
    NaN where the occluder hides a keypoint in that view."""
    name = session.spec.name
    for camera in session.cameras:
        keypoints = session.keypoints[camera.name][frames].copy()
        keypoints[session.occluded[camera.name][frames]] = np.nan
        write_dlc_csv(osp.join(root, f'CollectedData_{camera.name}{suffix}.csv'),
                      [image_path(f'{name}_{camera.name}', int(f)) for f in frames],
                      PART_NAMES, keypoints, scorer='toy')


def _write_ground_truth(root: str, session: MultiviewSession) -> None:
    """Write every frame's true 2-D keypoints and occlusion flags per view, and the 3-D parts."""
    name, n_frames = session.spec.name, session.spec.n_frames
    index = pd.RangeIndex(n_frames, name='frame')
    for camera in session.cameras:
        write_dlc_csv(osp.join(root, 'ground_truth', f'{name}_{camera.name}.csv'),
                      range(n_frames), PART_NAMES, session.keypoints[camera.name],
                      scorer='toy')
        flags = pd.DataFrame(session.occluded[camera.name].astype(int),
                             columns=list(PART_NAMES), index=index)
        write_csv_atomic(flags, osp.join(root, 'ground_truth',
                                         f'{name}_{camera.name}_occluded.csv'))
    columns = pd.MultiIndex.from_tuples([('toy', p, c) for p in PART_NAMES for c in 'xyz'],
                                        names=list(HEADER_NAMES))
    points = pd.DataFrame(session.motion.parts.reshape(n_frames, -1),
                          index=pd.RangeIndex(n_frames), columns=columns)
    write_csv_atomic(points, osp.join(root, 'ground_truth', f'{name}_3d.csv'))


def generate_multiview_toy_data(root: str, seed: int = 0) -> str:
    """Write the multiview toy project (two calibrated cameras) into ``root``.

    The sessions, labeled frames and 3-D motion are the mirror toy's (same seed, same
    streams); each camera gets its own files, in Lightning Pose's multiview layout::

        CollectedData_<view>.csv               labels of session 1's 80 frames, same rows
                                               in every view (NaN where occluded there)
        CollectedData_<view>_test.csv          every 5th frame of session 3
        labeled-data/<session>_<view>/img%05d.png  labeled frames and their +-2 neighbours
        videos/<session>_<view>.mp4            sessions 1 and 2
        videos_test/session3_<view>.mp4
        calibrations/<session>.toml            the cameras (Anipose format), every session
        ground_truth/session3_<view>.csv       true 2-D keypoints of every frame, never NaN
        ground_truth/session3_<view>_occluded.csv  0/1 occlusion flags
        ground_truth/session3_3d.csv           true 3-D body parts (x, y, z) of every frame
        toy_meta.json                          seed, versions, views, frame sizes, …

    Views are ``top`` (160 × 96) and ``bottom`` (160 × 112); see
    ``posekit.datasets.toy.multiview``.

    Args:
        root: Project directory.
        seed: Random seed.

    Returns:
        ``root``.
    """
    start = time.perf_counter()
    cameras = toy_cameras()
    sessions = {spec.name: simulate_multiview_session(spec, seed, i, cameras)
                for i, spec in enumerate(SESSIONS)}
    labeled = labeled_frames(seed, {name: s.spec.n_frames for name, s in sessions.items()})
    for name, session in sessions.items():
        png_frames = (with_neighbours(labeled[name], session.spec.n_frames)
                      if name in labeled else set())
        _write_session_media(root, session, png_frames)
        write_calibration(osp.join(root, 'calibrations', f'{name}.toml'),
                          Calibration(cameras, {'generator': 'posekit.datasets.toy'}))
    _write_view_labels(root, sessions[LABELED_SESSION], labeled[LABELED_SESSION], '')
    _write_view_labels(root, sessions[TEST_SESSION], labeled[TEST_SESSION], '_test')
    _write_ground_truth(root, sessions[TEST_SESSION])
    write_meta(root, seed, labeled, multiview=MULTIVIEW_VERSION,
               view_names=[c.name for c in cameras],
               frame_sizes={c.name: dict(width=c.size[0], height=c.size[1]) for c in cameras},
               keypoint_names=list(PART_NAMES),
               videos={s.name: {c.name: f'{s.video_dir}/{s.name}_{c.name}.mp4'
                                for c in cameras} for s in SESSIONS},
               calibrations={s.name: f'calibrations/{s.name}.toml' for s in SESSIONS})
    print_log(f'multiview toy data (seed {seed}) written to {root} in '
              f'{time.perf_counter() - start:.1f} s', logger='current')
    return root
