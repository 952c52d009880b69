"""Deterministic built-in toy data: a small DeepLabCut-style project rendered in seconds.

An animal-like 3-D figure (7 body parts) walks around an arena filmed by one camera that sees
it twice in one 160 x 160 frame, like a mouse filmed with a mirror: the top half is a side view
(``u = X + cx``, ``v = cy_top - Z``), the bottom half the mirror view from below
(``u = X + cx``, ``v = cy_bot + Y``). Both are orthographic, so the four image coordinates of a
body part lie exactly in a 3-D affine subspace and ``x_top == x_bot``. World coordinates are in
pixels and quantised to 1/16 px, so labels are exactly the positions drawn (cv2 draws with
``shift=4`` fractional bits; pixel centres sit at integer coordinates).

A vertical opaque bar slides across the frame from time to time; a keypoint whose pixel it
covers is occluded (NaN in the labeled CSVs, true position in the ground truth). The three
sessions are one rig (same background, lighting and figure scale) recorded at different times:
they differ in the figure's motion, the occluder's schedule and the pixel noise. (A version in
which sessions 2-3 had their own background and lighting let semi-supervised training find a
degenerate optimum: on the domain without labels the unsupervised losses were minimised by
near-static, low-confidence predictions, see docs/benchmarks.md.) Layout of the written
project: see :func:`generate_toy_data`.
"""
import json
import os
import os.path as osp
import shutil
import time
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Iterator

import cv2
import numpy as np
import pandas as pd
from mmengine.logging import print_log

from posekit.datasets.io import write_csv_atomic, write_dlc_csv
from posekit.datasets.video_io import read_frames

TOY_VERSION = 6
META_FILE = 'toy_meta.json'

PART_NAMES = ('nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase')
KEYPOINT_NAMES = tuple(f'{p}_top' for p in PART_NAMES) + tuple(f'{p}_bot' for p in PART_NAMES)
VIEW_COLUMNS = (tuple(range(len(PART_NAMES))), tuple(range(len(PART_NAMES), len(KEYPOINT_NAMES))))
PAW_NAMES = ('paw_fl', 'paw_fr', 'paw_bl', 'paw_br')

FRAME_SIZE = 160  # width == height
HALF = FRAME_SIZE // 2  # rows [0, HALF) show the top view, [HALF, FRAME_SIZE) the bottom view
FPS = 30
MARGIN = 4  # keypoints stay at least this many px inside their own view's half
CX, CY_TOP, CY_BOT = 80, 70, 120  # projection offsets: world origin (ground) in each view

SHIFT = 4  # fractional bits of cv2 drawing coordinates
SUBPIXEL = 1 << SHIFT

NOISE_SIGMA = 4.0
BAR_WIDTH, BAR_SPEED = 12, 3  # occluder width (px) and speed (px / frame)
OCCLUDER_FRACTION = 0.2  # target fraction of frames in which the bar is in view

N_LABELED = 80
CONTEXT = 2  # labeled frames (train and test) come with their +-CONTEXT neighbours as PNGs
TEST_STEP = 5  # every TEST_STEP-th frame of the test session is a labeled test frame

# Figure colours (RGB).
BODY_COLOUR = (96, 72, 58)
HEAD_COLOUR = (126, 92, 72)
NOSE_COLOUR = (250, 160, 200)
TAIL_COLOUR = (112, 82, 68)
LEG_COLOUR = (66, 50, 42)
PAW_COLOURS = {'paw_fl': (235, 45, 45), 'paw_fr': (40, 205, 60),
               'paw_bl': (45, 100, 245), 'paw_br': (245, 215, 30)}
BAR_COLOUR = (34, 36, 46)
MIRROR_COLOUR = (225, 225, 225)

# Figure geometry in px at scale 1: body ellipsoid semi-axes and centre height, head radius.
BODY_A, BODY_B, BODY_C, BODY_H = 12.0, 6.0, 5.0, 11.0
HEAD_RADIUS, NOSE_RADIUS, PAW_RADIUS = 4.5, 1.6, 2.4
N_TAIL = 7  # tail polyline points, the first at the tailbase


@dataclass(frozen=True)
class Condition:
    """Recording conditions shared by sessions: background, lighting and animal size.

    Attributes:
        name: Identifier; sessions with the same name share the same background texture.
        base_colour: Mean RGB colour of the background.
        brightness: Multiplier applied to the whole rendered frame.
        scale: Size of the figure relative to the default.
    """
    name: str
    base_colour: tuple[int, int, int]
    brightness: float
    scale: float


@dataclass(frozen=True)
class SessionSpec:
    """One recorded session.

    Attributes:
        name: Session (video) name.
        n_frames: Number of video frames.
        condition: Its recording conditions.
        video_dir: Folder of its video, relative to the project root.
    """
    name: str
    n_frames: int
    condition: Condition
    video_dir: str


RIG = Condition('rig', (165, 150, 125), brightness=1.0, scale=1.0)
SESSIONS = (SessionSpec('session1', 600, RIG, 'videos'),
            SessionSpec('session2', 1000, RIG, 'videos'),
            SessionSpec('session3', 500, RIG, 'videos_test'))
LABELED_SESSION, TEST_SESSION = 'session1', 'session3'

VIEWS = ('top', 'bottom')
# Orthographic projection of each view: image (x, y) = P @ (X, Y, Z) + offset, frame pixels.
VIEW_PROJECTIONS = {
    'top': (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]), np.array([CX, CY_TOP], float)),
    'bottom': (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([CX, CY_BOT], float)),
}
CONDITIONS = (RIG,)
_STREAMS = {'motion': 0, 'occluder': 1, 'noise': 2, 'background': 3, 'labels': 4}


@dataclass
class Motion:
    """3-D world geometry of the figure in every frame (px units, ground at ``Z = 0``).

    Attributes:
        parts: ``(T, 7, 3)`` body part positions in :data:`PART_NAMES` order, quantised to
            1/16 px.
        body_centre: ``(T, 3)`` centre of the body ellipsoid.
        body_axes: ``(T, 3, 3)`` the ellipsoid's semi-axis vectors as columns.
        leg_roots: ``(T, 4, 3)`` where the legs leave the body, in :data:`PAW_NAMES` order.
        tail: ``(T, N_TAIL, 3)`` tail polyline, starting at the tailbase.
        scale: Figure scale (radii of the drawn head, nose and paws scale with it).
    """
    parts: np.ndarray
    body_centre: np.ndarray
    body_axes: np.ndarray
    leg_roots: np.ndarray
    tail: np.ndarray
    scale: float


@dataclass
class Session:
    """A simulated session: its motion, labels and occluder.

    Attributes:
        spec: What the session is.
        seed: Project seed.
        index: The session's position in :data:`SESSIONS` (selects its random streams).
        motion: The figure's 3-D geometry.
        keypoints: ``(T, 14, 2)`` true image positions in :data:`KEYPOINT_NAMES` order.
        bar_left: ``(T,)`` leftmost column of the occluder bar, NaN when it is out of view.
        occluded: ``(T, 14)`` True where the bar covers a keypoint's pixel.
    """
    spec: SessionSpec
    seed: int
    index: int
    motion: Motion
    keypoints: np.ndarray
    bar_left: np.ndarray
    occluded: np.ndarray


def _rng(seed: int, purpose: str, index: int) -> np.random.Generator:
    """An independent random stream per seed, purpose and session (or condition) index."""
    return np.random.default_rng([seed, _STREAMS[purpose], index])


def _smooth_signal(rng: np.random.Generator, n_frames: int, amplitude: float,
                   periods: tuple[float, float], n_terms: int = 3) -> np.ndarray:
    """A smooth random signal: a weighted sum of sinusoids with random periods and phases.

    Args:
        rng: Random generator.
        n_frames: Signal length.
        amplitude: Bound on ``|signal|``; its slope is at most ``amplitude * 2 pi / periods[0]``.
        periods: Range of the sinusoids' periods, in frames.
        n_terms: Number of sinusoids.

    Returns:
        ``(n_frames,)`` float64 signal.
    """
    period = rng.uniform(*periods, n_terms)
    phase = rng.uniform(0, 2 * np.pi, n_terms)
    weight = rng.uniform(0.5, 1.0, n_terms)
    waves = np.sin(2 * np.pi * np.arange(n_frames)[:, None] / period + phase)
    return amplitude * (waves @ weight) / weight.sum()


def _unit_direction(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """``(..., 3)`` unit vectors for yaw (about Z, from +X) and pitch (up from the XY plane)."""
    return np.stack([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)],
                    axis=-1)


def _local_skeleton(rng: np.random.Generator, n_frames: int) -> dict[str, np.ndarray]:
    """Body-frame geometry at scale 1: X forward, Y to the animal's left, Z up.

    A trotting gait (diagonal paws in phase) swings and lifts the paws; the head turns, nods
    and bobs with the gait; the tail wags.

    Returns:
        ``parts (T, 7, 3)``, ``body_centre (T, 3)``, ``leg_roots (T, 4, 3)``,
        ``tail (T, N_TAIL, 3)``.
    """
    gait = (2 * np.pi * np.arange(n_frames) / rng.uniform(14, 20)
            + _smooth_signal(rng, n_frames, 1.0, (150, 300)))
    head_yaw = _smooth_signal(rng, n_frames, 0.35, (45, 90))
    head_pitch = _smooth_signal(rng, n_frames, 0.25, (50, 100))
    bob = np.sin(2 * gait)
    zeros = np.zeros(n_frames)

    centre = np.stack([zeros, zeros, BODY_H + 0.5 * bob], axis=-1)
    head_dir = _unit_direction(head_yaw, head_pitch)
    neck = np.array([0.85 * BODY_A, 0.0, BODY_H + 2.0])
    head = neck + 5.0 * head_dir + np.stack([zeros, zeros, bob], axis=-1)
    nose = head + (HEAD_RADIUS + 1.5) * head_dir
    tailbase = np.stack([np.full(n_frames, -0.95 * BODY_A), zeros, BODY_H + 1.0 + 0.5 * bob],
                        axis=-1)

    paws, root_offsets = [], []
    for forward, left, offset in ((1, 1, 0.0), (1, -1, np.pi), (-1, 1, np.pi), (-1, -1, 0.0)):
        phase = gait + offset
        paws.append(np.stack([forward * 0.6 * BODY_A + 5.0 * np.sin(phase),
                              np.full(n_frames, left * 0.75 * BODY_B),
                              3.0 * np.maximum(np.cos(phase), 0.0)], axis=-1))
        root_offsets.append([forward * 0.6 * BODY_A, left * 0.6 * BODY_B, -0.4 * BODY_C])
    leg_roots = centre[:, None] + np.array(root_offsets)

    segment = np.arange(N_TAIL - 1)
    wag = np.cumsum(0.3 * np.sin(0.5 * gait[:, None] - 0.7 * segment), axis=1)
    tail_steps = 3.5 * _unit_direction(np.pi + wag, np.full_like(wag, -0.3))
    tail = tailbase[:, None] + np.concatenate(
        [np.zeros((n_frames, 1, 3)), np.cumsum(tail_steps, axis=1)], axis=1)

    parts = np.stack([nose, head, *paws, tailbase], axis=1)
    return dict(parts=parts, body_centre=centre, leg_roots=leg_roots, tail=tail)



def project(points: np.ndarray, view: str) -> np.ndarray:
    """Project ``(..., 3)`` world points into one view; returns ``(..., 2)`` frame pixels."""
    matrix, offset = VIEW_PROJECTIONS[view]
    return points @ matrix.T + offset


def image_keypoints(parts: np.ndarray) -> np.ndarray:
    """``(T, 7, 3)`` world body parts to ``(T, 14, 2)`` keypoints (top view, then bottom)."""
    return np.concatenate([project(parts, view) for view in VIEWS], axis=1)


def _world_bounds() -> tuple[np.ndarray, np.ndarray]:
    """The world box whose points project at least ``MARGIN`` px inside their view's half."""
    low = np.array([MARGIN - CX, HALF + MARGIN - CY_BOT, CY_TOP - (HALF - 1 - MARGIN)], float)
    high = np.array([FRAME_SIZE - 1 - MARGIN - CX, FRAME_SIZE - 1 - MARGIN - CY_BOT,
                     CY_TOP - MARGIN], float)
    return low, high


def _clamp_shift(parts: np.ndarray) -> np.ndarray:
    """``(T, 3)`` translations that pull each frame's ``(T, P, 3)`` parts into the world box.

    The shift is a continuous function of the parts, so clamping never makes the figure jump.
    """
    low, high = _world_bounds()
    return (np.maximum(low - parts.min(axis=1), 0.0)
            - np.maximum(parts.max(axis=1) - high, 0.0))


def _yaw_matrices(angle: np.ndarray) -> np.ndarray:
    """``(T, 3, 3)`` rotations about the vertical axis."""
    cos, sin = np.cos(angle), np.sin(angle)
    zeros, ones = np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([cos, -sin, zeros], -1), np.stack([sin, cos, zeros], -1),
                     np.stack([zeros, zeros, ones], -1)], axis=-2)


def simulate_motion(rng: np.random.Generator, n_frames: int, scale: float) -> Motion:
    """Place the articulated figure in the arena: it wanders and keeps turning while trotting.

    Args:
        rng: Random generator.
        n_frames: Number of frames.
        scale: Figure size relative to the default.

    Returns:
        The figure's world geometry; body parts are clamped inside both views and quantised
        to 1/16 px so that they are exactly where they are drawn.
    """
    local = _local_skeleton(rng, n_frames)
    # keep turning (one turn per ~300 frames) so every session shows every heading
    turn = rng.choice([-1., 1.]) * 2 * np.pi * np.arange(n_frames) / rng.uniform(250, 350)
    heading = rng.uniform(-np.pi, np.pi) + turn + _smooth_signal(rng, n_frames, 0.5 * np.pi,
                                                                 (200, 500))
    position = np.stack([_smooth_signal(rng, n_frames, 50.0, (150, 360)),
                         _smooth_signal(rng, n_frames, 16.0, (150, 360)),
                         np.zeros(n_frames)], axis=-1)
    rotation = _yaw_matrices(heading)

    def place(points: np.ndarray) -> np.ndarray:
        return position[:, None] + scale * np.einsum('tij,tpj->tpi', rotation, points)

    parts = place(local['parts'])
    shift = _clamp_shift(parts)[:, None]
    return Motion(
        parts=np.round((parts + shift) * SUBPIXEL) / SUBPIXEL,
        body_centre=place(local['body_centre'][:, None])[:, 0] + shift[:, 0],
        body_axes=scale * rotation * np.array([BODY_A, BODY_B, BODY_C]),
        leg_roots=place(local['leg_roots']) + shift,
        tail=place(local['tail']) + shift,
        scale=scale)


def occluder_schedule(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """When and where the occluder bar is: one pass across the frame per time slot.

    The number of passes makes the bar visible in about ``OCCLUDER_FRACTION`` of the frames;
    each pass starts at a random time inside its slot and goes left or right at random.

    Args:
        rng: Random generator.
        n_frames: Number of frames (at least one pass long).

    Returns:
        ``(n_frames,)`` leftmost bar column (integer valued), NaN while the bar is out of view.
    """
    travel = np.arange(0, FRAME_SIZE + BAR_WIDTH - 1, BAR_SPEED)
    n_passes = max(1, round(OCCLUDER_FRACTION * n_frames / len(travel)))
    slot = n_frames // n_passes
    bar_left = np.full(n_frames, np.nan)
    for i in range(n_passes):
        start = i * slot + int(rng.integers(0, slot - len(travel) + 1))
        rightward = rng.random() < 0.5
        bar_left[start:start + len(travel)] = (
            1 - BAR_WIDTH + travel if rightward else FRAME_SIZE - 1 - travel)
    return bar_left


def occlusion_mask(keypoints: np.ndarray, bar_left: np.ndarray) -> np.ndarray:
    """``(T, K)`` True where the bar covers the pixel of a ``(T, K, 2)`` keypoint."""
    column = np.floor(keypoints[..., 0] + 0.5)
    left = bar_left[:, None]
    return (column >= left) & (column < left + BAR_WIDTH)


def simulate_session(spec: SessionSpec, seed: int, index: int) -> Session:
    """Simulate one session's motion, occluder and true keypoints.

    Args:
        spec: The session.
        seed: Project seed.
        index: The session's position in :data:`SESSIONS` (selects its random streams).

    Returns:
        The session.
    """
    motion = simulate_motion(_rng(seed, 'motion', index), spec.n_frames, spec.condition.scale)
    keypoints = image_keypoints(motion.parts)
    bar_left = occluder_schedule(_rng(seed, 'occluder', index), spec.n_frames)
    return Session(spec, seed, index, motion, keypoints, bar_left,
                   occlusion_mask(keypoints, bar_left))


def make_background(rng: np.random.Generator, condition: Condition) -> np.ndarray:
    """A textured background: smooth colour noise, stripes and blobs, plus the mirror line.

    Args:
        rng: Random generator.
        condition: Supplies the mean colour.

    Returns:
        ``(160, 160, 3)`` uint8 RGB image.
    """
    coarse = rng.normal(0.0, 1.0, (6, 6, 3)).astype(np.float32)
    texture = 18.0 * cv2.resize(coarse, (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:FRAME_SIZE, 0:FRAME_SIZE].astype(np.float32)
    angle, period, phase = rng.uniform(0, np.pi), rng.uniform(12, 24), rng.uniform(0, 2 * np.pi)
    structure = 9.0 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period
                             + phase)
    for _ in range(8):  # soft light and dark blobs
        bx, by = rng.uniform(0, FRAME_SIZE, 2)
        sigma, amplitude = rng.uniform(5, 12), rng.uniform(-35, 35)
        structure += amplitude * np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * sigma ** 2))
    image = np.asarray(condition.base_colour, np.float32) + texture + structure[..., None]
    image[HALF - 1:HALF + 1] = MIRROR_COLOUR
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _fixed_point(xy: np.ndarray) -> tuple[int, int]:
    """Image ``(x, y)`` as cv2 fixed-point coordinates with ``SHIFT`` fractional bits."""
    x, y = np.rint(np.asarray(xy) * SUBPIXEL)
    return int(x), int(y)


def _fixed_length(length: float) -> int:
    return int(round(length * SUBPIXEL))


def _projected_ellipse(axes: np.ndarray, view: str) -> tuple[float, float, float]:
    """Outline of an ellipsoid with semi-axis columns ``axes (3, 3)`` seen in one view.

    Returns:
        Semi-major and semi-minor axis lengths (px) and the major axis angle (degrees).
    """
    image_axes = VIEW_PROJECTIONS[view][0] @ axes
    eigval, eigvec = np.linalg.eigh(image_axes @ image_axes.T)
    major = eigvec[:, 1]
    return (float(np.sqrt(eigval[1])), float(np.sqrt(max(eigval[0], 0.0))),
            float(np.degrees(np.arctan2(major[1], major[0]))))


def _draw_body(img: np.ndarray, centre: np.ndarray, axes: np.ndarray, view: str) -> None:
    major, minor, angle = _projected_ellipse(axes, view)
    cv2.ellipse(img, _fixed_point(centre), (_fixed_length(major), _fixed_length(minor)), angle,
                0, 360, BODY_COLOUR, -1, cv2.LINE_AA, SHIFT)


def _draw_head(img: np.ndarray, head: np.ndarray, nose: np.ndarray, scale: float) -> None:
    cv2.circle(img, _fixed_point(head), _fixed_length(HEAD_RADIUS * scale), HEAD_COLOUR, -1,
               cv2.LINE_AA, SHIFT)
    cv2.circle(img, _fixed_point(nose), _fixed_length(NOSE_RADIUS * scale), NOSE_COLOUR, -1,
               cv2.LINE_AA, SHIFT)


def _draw_limb(img: np.ndarray, root: np.ndarray, paw: np.ndarray,
               colour: tuple[int, int, int], scale: float) -> None:
    cv2.line(img, _fixed_point(root), _fixed_point(paw), LEG_COLOUR, 2, cv2.LINE_AA, SHIFT)
    cv2.circle(img, _fixed_point(paw), _fixed_length(PAW_RADIUS * scale), colour, -1,
               cv2.LINE_AA, SHIFT)


def _draw_tail(img: np.ndarray, points: np.ndarray) -> None:
    fixed = np.rint(points * SUBPIXEL).astype(np.int32)
    cv2.polylines(img, [fixed], False, TAIL_COLOUR, 2, cv2.LINE_AA, SHIFT)


def _nearness(points: np.ndarray, view: str) -> float:
    """How near world points are to a view's camera on average (larger is nearer).

    The side (top-view) camera looks from ``+Y``; the mirror view looks up from below.
    """
    return float(points[..., 1].mean() if view == 'top' else -points[..., 2].mean())


def _draw_figure(half: np.ndarray, motion: Motion, t: int, view: str) -> None:
    """Draw frame ``t`` of the figure into one view's half image, far elements first.

    Args:
        half: ``(80, 160, 3)`` uint8 RGB half of the frame, drawn in place.
        motion: The figure's geometry.
        t: Frame index.
        view: ``'top'`` or ``'bottom'``.
    """
    row0 = 0 if view == 'top' else HALF

    def to_half(points: np.ndarray) -> np.ndarray:
        return project(points, view) - (0, row0)

    parts, tail, centre = motion.parts[t], motion.tail[t], motion.body_centre[t]
    head, nose = parts[PART_NAMES.index('head')], parts[PART_NAMES.index('nose')]
    items = [
        (_nearness(tail, view), partial(_draw_tail, half, to_half(tail))),
        (_nearness(centre, view),
         partial(_draw_body, half, to_half(centre), motion.body_axes[t], view)),
        (_nearness(head, view),
         partial(_draw_head, half, to_half(head), to_half(nose), motion.scale)),
    ]
    for i, name in enumerate(PAW_NAMES):
        paw = parts[PART_NAMES.index(name)]
        items.append((_nearness(paw, view),
                      partial(_draw_limb, half, to_half(motion.leg_roots[t, i]), to_half(paw),
                              PAW_COLOURS[name], motion.scale)))
    for _, draw in sorted(items, key=lambda item: item[0]):
        draw()


def _draw_occluder(frame: np.ndarray, left: float) -> None:
    """Paint the bar over both views (nothing when ``left`` is NaN)."""
    if not np.isnan(left):
        frame[:, max(int(left), 0):max(int(left) + BAR_WIDTH, 0)] = BAR_COLOUR


def _apply_lighting(frame: np.ndarray, brightness: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Scale the frame's brightness and add Gaussian pixel noise (sigma ``NOISE_SIGMA``)."""
    noise = rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(NOISE_SIGMA)
    lit = frame * np.float32(brightness) + noise
    return np.clip(np.rint(lit), 0, 255).astype(np.uint8)


def render_frame(background: np.ndarray, session: Session, t: int,
                 noise_rng: np.random.Generator) -> np.ndarray:
    """Render frame ``t`` of a session.

    Args:
        background: ``(160, 160, 3)`` uint8 RGB background of the session's condition.
        session: The session.
        t: Frame index.
        noise_rng: Random generator of the pixel noise (advanced by one frame's worth).

    Returns:
        ``(160, 160, 3)`` uint8 RGB frame.
    """
    frame = background.copy()
    for view, row0 in zip(VIEWS, (0, HALF)):
        _draw_figure(frame[row0:row0 + HALF], session.motion, t, view)
    _draw_occluder(frame, session.bar_left[t])
    return _apply_lighting(frame, session.spec.condition.brightness, noise_rng)


def image_path(session_name: str, frame: int) -> str:
    """Project-relative path of a frame image, e.g. ``labeled-data/session1/img00012.png``."""
    return f'labeled-data/{session_name}/img{frame:05d}.png'


def _sample_labeled_frames(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """``N_LABELED`` sorted distinct frames whose ``+-CONTEXT`` neighbours are in the video."""
    return np.sort(rng.choice(np.arange(CONTEXT, n_frames - CONTEXT), N_LABELED, replace=False))


def _with_neighbours(frames: np.ndarray, n_frames: int) -> set[int]:
    """The frames and their ``+-CONTEXT`` neighbours, clamped to the video."""
    return {min(max(int(f) + d, 0), n_frames - 1)
            for f in frames for d in range(-CONTEXT, CONTEXT + 1)}


def _open_video(path: str) -> cv2.VideoWriter:
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (FRAME_SIZE, FRAME_SIZE))
    if not writer.isOpened():
        raise RuntimeError(f'cv2 cannot open an mp4v video writer for {path}')
    return writer


def render_session(session: Session) -> Iterator[np.ndarray]:
    """Render a session's frames in order.

    Args:
        session: The session.

    Yields:
        ``(160, 160, 3)`` uint8 RGB frames ``0 .. n_frames - 1``.
    """
    condition = session.spec.condition
    background = make_background(
        _rng(session.seed, 'background', CONDITIONS.index(condition)), condition)
    noise_rng = _rng(session.seed, 'noise', session.index)
    for t in range(session.spec.n_frames):
        yield render_frame(background, session, t, noise_rng)


def _write_media(root: str, session: Session, png_frames: set[int]) -> None:
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
    writer = _open_video(video)
    try:
        for frame in render_session(session):
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    if not png_frames:
        return
    os.makedirs(osp.join(root, 'labeled-data', name), exist_ok=True)
    frames = sorted(png_frames)
    for t, rgb in zip(frames, read_frames(video, frames)):
        if not cv2.imwrite(osp.join(root, image_path(name, t)),
                           cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise RuntimeError(f'cv2 could not write {image_path(name, t)} in {root}')


def _write_labels(root: str, session: Session, frames: np.ndarray, file_name: str) -> None:
    """Write the labels of ``frames`` as a DLC CSV, NaN where the bar occludes a keypoint."""
    keypoints = session.keypoints[frames].copy()
    keypoints[session.occluded[frames]] = np.nan
    name = session.spec.name
    write_dlc_csv(osp.join(root, 'labeled-data', name, file_name),
                  [image_path(name, int(f)) for f in frames], KEYPOINT_NAMES, keypoints,
                  scorer='toy')


def _write_ground_truth(root: str, session: Session) -> None:
    """Write every frame's true keypoints (DLC CSV) and occlusion flags (0/1 CSV)."""
    name, n_frames = session.spec.name, session.spec.n_frames
    write_dlc_csv(osp.join(root, 'ground_truth', f'{name}.csv'), range(n_frames),
                  KEYPOINT_NAMES, session.keypoints, scorer='toy')
    flags = pd.DataFrame(session.occluded.astype(int), columns=list(KEYPOINT_NAMES),
                         index=pd.RangeIndex(n_frames, name='frame'))
    write_csv_atomic(flags, osp.join(root, 'ground_truth', f'{name}_occluded.csv'))


def _write_meta(root: str, seed: int, labeled: dict[str, np.ndarray]) -> None:
    meta = dict(
        generator='posekit.datasets.toy', version=TOY_VERSION, seed=seed,
        frame_size=dict(width=FRAME_SIZE, height=FRAME_SIZE), fps=FPS,
        keypoint_names=list(KEYPOINT_NAMES), view_columns=[list(c) for c in VIEW_COLUMNS],
        session_lengths={s.name: s.n_frames for s in SESSIONS},
        videos={s.name: f'{s.video_dir}/{s.name}.mp4' for s in SESSIONS},
        conditions={s.name: dict(condition=s.condition.name, brightness=s.condition.brightness,
                                 scale=s.condition.scale) for s in SESSIONS},
        labeled_frames={name: [int(f) for f in frames] for name, frames in labeled.items()})
    with open(osp.join(root, META_FILE), 'w') as f:
        json.dump(meta, f, indent=1)


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
    labeled = {LABELED_SESSION: _sample_labeled_frames(_rng(seed, 'labels', 0),
                                                       train.spec.n_frames),
               TEST_SESSION: np.arange(0, test.spec.n_frames, TEST_STEP)}
    png_frames = {LABELED_SESSION: _with_neighbours(labeled[LABELED_SESSION], train.spec.n_frames),
                  TEST_SESSION: _with_neighbours(labeled[TEST_SESSION], test.spec.n_frames)}
    for session in sessions.values():
        _write_media(root, session, png_frames.get(session.spec.name, set()))
    _write_labels(root, train, labeled[LABELED_SESSION], 'CollectedData.csv')
    _write_labels(root, test, labeled[TEST_SESSION], 'CollectedData_test.csv')
    _write_ground_truth(root, test)
    _write_meta(root, seed, labeled)
    print_log(f'toy data (seed {seed}) written to {root} in {time.perf_counter() - start:.1f} s',
              logger='current')
    return root


def _meta_matches(root: str, seed: int) -> bool:
    """Whether ``root`` holds a complete toy project of this seed and generator version."""
    try:
        with open(osp.join(root, META_FILE)) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return meta.get('seed') == seed and meta.get('version') == TOY_VERSION


def _replace_dir(src: str, dst: str) -> None:
    """Move directory ``src`` to ``dst``, replacing an existing ``dst``."""
    if osp.exists(dst):
        old = f'{src}.old'
        os.rename(dst, old)
        os.rename(src, dst)
        shutil.rmtree(old)
    else:
        os.rename(src, dst)


def ensure_toy_data(root: str = 'data/toy', seed: int = 0, force: bool = False) -> str:
    """Generate the toy project unless ``root`` already holds it for this seed and version.

    Generation happens in a temporary sibling directory that is renamed into place at the
    end, so an interrupted run never leaves a half-written project, and a project of another
    seed or generator version is replaced whole.

    Args:
        root: Project directory.
        seed: Random seed.
        force: Regenerate even if ``root`` is up to date.

    Returns:
        ``root``.
    """
    if not force and _meta_matches(root, seed):
        print_log(f'toy data (seed {seed}) found at {root}', logger='current')
        return root
    parent, name = osp.split(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = osp.join(parent, f'.{name}.tmp-{uuid.uuid4().hex[:8]}')
    os.mkdir(tmp)
    try:
        generate_toy_data(tmp, seed)
        _replace_dir(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print_log(f'toy data (seed {seed}) moved into place at {root}', logger='current')
    return root
