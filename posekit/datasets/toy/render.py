"""Drawing the toy frames: background, the figure in both views, the occluder, lighting."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

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


def make_background(rng: np.random.Generator, condition: Condition,
                    size: tuple[int, int] = (FRAME_SIZE, FRAME_SIZE),
                    mirror_line: bool = True) -> np.ndarray:
    """A textured background: smooth colour noise, stripes and blobs, plus the mirror line.

    Args:
        rng: Random generator.
        condition: Supplies the mean colour.
        size: ``(width, height)`` of the image.
        mirror_line: Paint the mirror's edge across rows ``HALF - 1`` and ``HALF``.

    Returns:
        ``(height, width, 3)`` uint8 RGB image.
    """
    width, height = size
    coarse = rng.normal(0.0, 1.0, (6, 6, 3)).astype(np.float32)
    texture = 18.0 * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle, period, phase = rng.uniform(0, np.pi), rng.uniform(12, 24), rng.uniform(0, 2 * np.pi)
    structure = 9.0 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period
                             + phase)
    for _ in range(8):  # soft light and dark blobs
        bx, by = rng.uniform(0, FRAME_SIZE, 2)
        sigma, amplitude = rng.uniform(5, 12), rng.uniform(-35, 35)
        structure += amplitude * np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * sigma ** 2))
    image = np.asarray(condition.base_colour, np.float32) + texture + structure[..., None]
    if mirror_line:
        image[HALF - 1:HALF + 1] = MIRROR_COLOUR
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _fixed_point(xy: np.ndarray) -> tuple[int, int]:
    """Image ``(x, y)`` as cv2 fixed-point coordinates with ``SHIFT`` fractional bits."""
    x, y = np.rint(np.asarray(xy) * SUBPIXEL)
    return int(x), int(y)


def _fixed_length(length: float) -> int:
    """A length in px as a cv2 fixed-point length with ``SHIFT`` fractional bits."""
    return int(round(length * SUBPIXEL))


def _ellipse_outline(image_axes: np.ndarray) -> tuple[float, float, float]:
    """Outline of an ellipsoid whose semi-axes appear as the columns of ``image_axes (2, 3)``.

    Returns:
        Semi-major and semi-minor axis lengths (px) and the major axis angle (degrees).
    """
    eigval, eigvec = np.linalg.eigh(image_axes @ image_axes.T)
    major = eigvec[:, 1]
    return (float(np.sqrt(eigval[1])), float(np.sqrt(max(eigval[0], 0.0))),
            float(np.degrees(np.arctan2(major[1], major[0]))))


def _draw_body(img: np.ndarray, centre: np.ndarray, image_axes: np.ndarray) -> None:
    major, minor, angle = _ellipse_outline(image_axes)
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


@dataclass(frozen=True)
class ViewProjection:
    """How one view shows the world, for drawing the figure.

    Attributes:
        to_image: ``(..., 3)`` world points to ``(..., 2)`` image pixels.
        body_axes: ``(centre (3,), semi-axes (3, 3))`` to the semi-axes' image vectors
            ``(2, 3)``.
        nearness: How near world points are to the camera on average (larger is nearer).
        size_scale: Image size of a unit length at a world point, relative to scale 1.
    """
    to_image: Callable[[np.ndarray], np.ndarray]
    body_axes: Callable[[np.ndarray, np.ndarray], np.ndarray]
    nearness: Callable[[np.ndarray], float]
    size_scale: Callable[[np.ndarray], float]


def mirror_view_projection(view: str) -> ViewProjection:
    """The orthographic projection of one view into its half of the mirror frame.

    The side (top-view) camera looks from ``+Y``; the mirror view looks up from below.
    """
    row0 = 0 if view == 'top' else HALF
    return ViewProjection(
        to_image=lambda points: project(points, view) - (0, row0),
        body_axes=lambda centre, axes: VIEW_PROJECTIONS[view][0] @ axes,
        nearness=lambda points: float(points[..., 1].mean() if view == 'top'
                                      else -points[..., 2].mean()),
        size_scale=lambda point: 1.0)


def draw_figure(img: np.ndarray, motion: Motion, t: int, view: ViewProjection) -> None:
    """Draw frame ``t`` of the figure as one view sees it, far elements first.

    Args:
        img: ``(H, W, 3)`` uint8 RGB image of the view, drawn in place.
        motion: The figure's geometry.
        t: Frame index.
        view: The view's projection.
    """
    parts, tail, centre = motion.parts[t], motion.tail[t], motion.body_centre[t]
    head, nose = parts[PART_NAMES.index('head')], parts[PART_NAMES.index('nose')]
    items = [
        (view.nearness(tail), partial(_draw_tail, img, view.to_image(tail))),
        (view.nearness(centre),
         partial(_draw_body, img, view.to_image(centre),
                 view.body_axes(centre, motion.body_axes[t]))),
        (view.nearness(head),
         partial(_draw_head, img, view.to_image(head), view.to_image(nose),
                 motion.scale * view.size_scale(head))),
    ]
    for i, name in enumerate(PAW_NAMES):
        paw = parts[PART_NAMES.index(name)]
        items.append((view.nearness(paw),
                      partial(_draw_limb, img, view.to_image(motion.leg_roots[t, i]),
                              view.to_image(paw), PAW_COLOURS[name],
                              motion.scale * view.size_scale(paw))))
    for _, draw in sorted(items, key=lambda item: item[0]):
        draw()


def draw_occluder(frame: np.ndarray, left: float) -> None:
    """Paint the bar over all rows of ``frame`` (nothing when ``left`` is NaN)."""
    if not np.isnan(left):
        frame[:, max(int(left), 0):max(int(left) + BAR_WIDTH, 0)] = BAR_COLOUR


def apply_lighting(frame: np.ndarray, brightness: float, rng: np.random.Generator) -> np.ndarray:
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
        draw_figure(frame[row0:row0 + HALF], session.motion, t, mirror_view_projection(view))
    draw_occluder(frame, session.bar_left[t])
    return apply_lighting(frame, session.spec.condition.brightness, noise_rng)


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
