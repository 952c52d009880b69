"""The toy project as a whole: which frames are labeled, generating it, keeping it current."""
import json
import os
import os.path as osp
import shutil
import time
import uuid

from mmengine.logging import print_log

from .frames import labeled_frames, with_neighbours
from .motion import simulate_session
from .multiview_project import MULTIVIEW_VERSION, generate_multiview_toy_data
from .small_figure import SMALL_FIGURE_VERSION, generate_small_figure_toy_data
from .spec import (FRAME_SIZE, KEYPOINT_NAMES, LABELED_SESSION, META_FILE, SESSIONS,
                   TEST_SESSION, TOY_VERSION, VIEW_COLUMNS)
from .writers import session_videos, write_ground_truth, write_labels, write_media, write_meta


def generate_toy_data(root: str, seed: int = 0) -> str:
    """Write the toy DLC project into ``root`` (created if needed, files overwritten).

    Layout::

        labeled-data/session1/img%05d.png       80 labeled frames and their +-2 neighbours
        labeled-data/session1/CollectedData.csv labels of the 80 frames (NaN where occluded)
        labeled-data/session3/img%05d.png       every 5th frame of session 3 and its +-2
                                                neighbours (for context models)
        labeled-data/session3/CollectedData_test.csv
        videos/session1.mp4 (600 frames), videos/session2.mp4 (1000 frames)
        videos_test/session3.mp4 (500 frames)
        ground_truth/session3.csv               true keypoints of every frame, never NaN
        ground_truth/session3_occluded.csv      0/1 occlusion flag per frame and keypoint
        toy_meta.json                           seed, version, sizes, names, labeled frames

    Args:
        root: Project directory.
        seed: Random seed; the same seed gives byte-identical CSVs and PNGs.

    Returns:
        ``root``.
    """
    start = time.perf_counter()
    sessions = {spec.name: simulate_session(spec, seed, i) for i, spec in enumerate(SESSIONS)}
    train, test = sessions[LABELED_SESSION], sessions[TEST_SESSION]
    labeled = labeled_frames(seed, {name: s.spec.n_frames for name, s in sessions.items()})
    png_frames = {name: with_neighbours(frames, sessions[name].spec.n_frames)
                  for name, frames in labeled.items()}
    for session in sessions.values():
        write_media(root, session, png_frames.get(session.spec.name, set()))
    write_labels(root, train, labeled[LABELED_SESSION], 'CollectedData.csv')
    write_labels(root, test, labeled[TEST_SESSION], 'CollectedData_test.csv')
    write_ground_truth(root, test)
    write_meta(root, seed, labeled, frame_size=dict(width=FRAME_SIZE, height=FRAME_SIZE),
               keypoint_names=list(KEYPOINT_NAMES),
               view_columns=[list(c) for c in VIEW_COLUMNS], videos=session_videos(),
               conditions={s.name: dict(condition=s.condition.name,
                                        brightness=s.condition.brightness,
                                        scale=s.condition.scale) for s in SESSIONS})
    print_log(f'toy data (seed {seed}) written to {root} in {time.perf_counter() - start:.1f} s',
              logger='current')
    return root


def _meta_matches(root: str, seed: int, multiview: bool, small_figure: bool) -> bool:
    """Whether ``root`` holds a complete toy project of this kind, seed and version."""
    try:
        with open(osp.join(root, META_FILE)) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    kind = MULTIVIEW_VERSION if multiview else None
    small = SMALL_FIGURE_VERSION if small_figure else None
    return (meta.get('seed') == seed and meta.get('version') == TOY_VERSION
            and meta.get('multiview') == kind and meta.get('small_figure') == small)


def _replace_dir(src: str, dst: str) -> None:
    """Move directory ``src`` to ``dst``, replacing an existing ``dst``."""
    if osp.exists(dst):
        old = f'{src}.old'
        os.rename(dst, old)
        os.rename(src, dst)
        shutil.rmtree(old)
    else:
        os.rename(src, dst)


def ensure_toy_data(root: str = 'data/toy', seed: int = 0, force: bool = False,
                    multiview: bool = False, small_figure: bool = False) -> str:
    """Generate the toy project unless ``root`` already holds it for this seed and version.

    Generation happens in a temporary sibling directory that is renamed into place at the
    end, so an interrupted run never leaves a half-written project, and a project of another
    seed or generator version is replaced whole.

    Args:
        root: Project directory.
        seed: Random seed.
        force: Regenerate even if ``root`` is up to date.
        multiview: The multiview project (two calibrated cameras, one video and one label
            file per camera, :func:`generate_multiview_toy_data`) instead of the mirror one.

    Returns:
        ``root``.
    """
    if multiview and small_figure:
        raise ValueError('ensure_toy_data: multiview and small_figure exclude each other')
    if not force and _meta_matches(root, seed, multiview, small_figure):
        print_log(f'toy data (seed {seed}) found at {root}', logger='current')
        return root
    parent, name = osp.split(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = osp.join(parent, f'.{name}.tmp-{uuid.uuid4().hex[:8]}')
    os.mkdir(tmp)
    try:
        generate = generate_multiview_toy_data if multiview else \
            generate_small_figure_toy_data if small_figure else generate_toy_data
        generate(tmp, seed)
        _replace_dir(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print_log(f'toy data (seed {seed}) moved into place at {root}', logger='current')
    return root
