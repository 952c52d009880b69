"""Drawing the toy frames: background, the figure in both views, the occluder, lighting."""
from functools import partial
from typing import Iterator

import cv2
import numpy as np

from .motion import Motion, Session, project
from .spec import (BAR_WIDTH, CONDITIONS, FRAME_SIZE, HALF, HEAD_RADIUS, NOSE_RADIUS,
                   PART_NAMES, PAW_NAMES, PAW_RADIUS, SHIFT, SUBPIXEL, VIEW_PROJECTIONS, VIEWS,
                   Condition, random_stream)

NOISE_SIGMA = 4.0  # standard deviation of the Gaussian pixel noise (grey levels)

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
    """A length in px as a cv2 fixed-point length with ``SHIFT`` fractional bits."""
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


def render_session(session: Session) -> Iterator[np.ndarray]:
    """Render a session's frames in order.

    Args:
        session: The session.

    Yields:
        ``(160, 160, 3)`` uint8 RGB frames ``0 .. n_frames - 1``.
    """
    condition = session.spec.condition
    background = make_background(
        random_stream(session.seed, 'background', CONDITIONS.index(condition)), condition)
    noise_rng = random_stream(session.seed, 'noise', session.index)
    for t in range(session.spec.n_frames):
        yield render_frame(background, session, t, noise_rng)
