"""The small-figure toy project: the mirror toy's figure wandering across a large frame.

The crop-zoom pipeline (docs/two_stage.md) is for animals that fill a small part of the
frame. This project draws the toy figure (both of its views, moving together, no mirror line
and no occluder) into a ``SMALL_FRAME_SIZE`` frame whose side is 4x the 80-px extent of the
figure's keypoints, with the 160 x 160 block that held the mirror toy's frame sliding smoothly
across it. The sessions, their motion and labeled frames are the mirror toy's (same seed,
same streams); only the placement, the background and the pixel noise are the project's own.
Keypoints are shifted by the block's offset, quantised to 1/16 px like the figure, so labels
stay exactly where they are drawn.
"""
import dataclasses
import os.path as osp
import time
from collections.abc import Iterator

import numpy as np
from mmengine.logging import print_log

from .frames import labeled_frames, with_neighbours
from .motion import Session, _smooth_signal, project, simulate_session
from .render import ViewProjection, apply_lighting, draw_figure, make_background
from .spec import (CONDITIONS, FRAME_SIZE, KEYPOINT_NAMES, LABELED_SESSION, SESSIONS,
                   SUBPIXEL, TEST_SESSION, VIEW_PROJECTIONS, VIEWS, random_stream)
from .writers import (extract_pngs, session_videos, write_ground_truth, write_labels,
                      write_meta, write_video)

#: Version of the small-figure layout, stored in ``toy_meta.json`` as ``small_figure``.
SMALL_FIGURE_VERSION = 1
#: ``(W, H)`` of the small-figure frames.
SMALL_FRAME_SIZE = (320, 320)
_PLACEMENT_STREAM = 1  # extra index of the motion stream that draws the block's path
_NOISE_STREAM = 1  # extra index of the noise stream


def block_offsets(seed: int, index: int, n_frames: int) -> np.ndarray:
    """Where the mirror toy's 160 x 160 block sits in each small-figure frame.

    Args:
        seed: Project seed.
        index: The session's position in :data:`SESSIONS`.
        n_frames: Number of frames.

    Returns:
        ``(n_frames, 2)`` offsets ``(dx, dy)`` in ``[0, W - 160] x [0, H - 160]``, smooth in
        time, quantised to 1/16 px.
    """
    rng = random_stream(seed, 'motion', index, _PLACEMENT_STREAM)
    room = np.asarray(SMALL_FRAME_SIZE, float) - FRAME_SIZE
    offsets = np.stack([room[i] / 2 * (1 + _smooth_signal(rng, n_frames, 1.0, (200, 400)))
                        for i in range(2)], axis=-1)
    return np.round(offsets * SUBPIXEL) / SUBPIXEL


def shifted_session(session: Session) -> tuple[Session, np.ndarray]:
    """A mirror-toy session moved into the large frame, without occluder.

    Args:
        session: The mirror toy's session.

    Returns:
        The session with keypoints in small-figure frame pixels, no bar and nothing
        occluded, and its ``(T, 2)`` block offsets.
    """
    offsets = block_offsets(session.seed, session.index, session.spec.n_frames)
    keypoints = session.keypoints + offsets[:, None]
    return dataclasses.replace(
        session, keypoints=keypoints, bar_left=np.full(session.spec.n_frames, np.nan),
        occluded=np.zeros(keypoints.shape[:2], bool)), offsets


def _view(name: str, offset: np.ndarray) -> ViewProjection:
    """One view's orthographic projection, shifted by the block's offset."""
    matrix = VIEW_PROJECTIONS[name][0]
    return ViewProjection(
        to_image=lambda points: project(points, name) + offset,
        body_axes=lambda centre, axes: matrix @ axes,
        nearness=lambda points: float(points[..., 1].mean() if name == 'top'
                                      else -points[..., 2].mean()),
        size_scale=lambda point: 1.0)


def render_small_figure(session: Session, offsets: np.ndarray) -> Iterator[np.ndarray]:
    """Render a session's frames with the figure at its block offsets.

    Args:
        session: The (mirror toy's) session.
        offsets: ``(T, 2)`` block offsets from :func:`block_offsets`.

    Yields:
        ``(H, W, 3)`` uint8 RGB frames of :data:`SMALL_FRAME_SIZE`.
    """
    condition = session.spec.condition
    background = make_background(
        random_stream(session.seed, 'background', CONDITIONS.index(condition)), condition,
        size=SMALL_FRAME_SIZE, mirror_line=False)
    noise_rng = random_stream(session.seed, 'noise', session.index, _NOISE_STREAM)
    for t in range(session.spec.n_frames):
        frame = background.copy()
        for name in VIEWS:
            draw_figure(frame, session.motion, t, _view(name, offsets[t]))
        yield apply_lighting(frame, condition.brightness, noise_rng)


def generate_small_figure_toy_data(root: str, seed: int = 0) -> str:
    """Write the small-figure toy project into ``root`` (layout of the mirror toy's).

    Args:
        root: Project directory.
        seed: Random seed; the same seed gives byte-identical CSVs and PNGs.

    Returns:
        ``root``.
    """
    start = time.perf_counter()
    sessions = {}
    for i, spec in enumerate(SESSIONS):
        sessions[spec.name] = shifted_session(simulate_session(spec, seed, i))
    labeled = labeled_frames(seed, {name: s.spec.n_frames for name, (s, _) in sessions.items()})
    for name, (session, offsets) in sessions.items():
        video = osp.join(root, session.spec.video_dir, f'{name}.mp4')
        write_video(video, render_small_figure(session, offsets), SMALL_FRAME_SIZE)
        if name in labeled:
            extract_pngs(root, video, name, with_neighbours(labeled[name], session.spec.n_frames))
    write_labels(root, sessions[LABELED_SESSION][0], labeled[LABELED_SESSION],
                 'CollectedData.csv')
    write_labels(root, sessions[TEST_SESSION][0], labeled[TEST_SESSION],
                 'CollectedData_test.csv')
    write_ground_truth(root, sessions[TEST_SESSION][0])
    width, height = SMALL_FRAME_SIZE
    write_meta(root, seed, labeled, small_figure=SMALL_FIGURE_VERSION,
               frame_size=dict(width=width, height=height),
               keypoint_names=list(KEYPOINT_NAMES), videos=session_videos())
    print_log(f'small-figure toy data (seed {seed}) written to {root} in '
              f'{time.perf_counter() - start:.1f} s', logger='current')
    return root
