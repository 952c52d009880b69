"""The toy figure's motion, the occluder's schedule and their projection into the two views.

A trotting figure (7 body parts) wanders and turns in a 3-D arena; both views are orthographic
projections, and body parts are quantised to 1/16 px so that they are exactly where they are
drawn. A vertical bar slides across the frame from time to time and occludes the keypoints it
covers.
"""
from dataclasses import dataclass

import numpy as np

from .spec import (BAR_SPEED, BAR_WIDTH, BODY_A, BODY_B, BODY_C, BODY_H, CX, CY_BOT, CY_TOP,
                   FRAME_SIZE, HALF, HEAD_RADIUS, MARGIN, N_TAIL, OCCLUDER_FRACTION,
                   SUBPIXEL, VIEW_PROJECTIONS, VIEWS, SessionSpec, random_stream)


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
    motion = simulate_motion(random_stream(seed, 'motion', index), spec.n_frames,
                             spec.condition.scale)
    keypoints = image_keypoints(motion.parts)
    bar_left = occluder_schedule(random_stream(seed, 'occluder', index), spec.n_frames)
    return Session(spec, seed, index, motion, keypoints, bar_left,
                   occlusion_mask(keypoints, bar_left))
