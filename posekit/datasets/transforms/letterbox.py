"""Resize keeping the aspect ratio and pad to the input size (letterbox).

Conventions as ``geometric.py`` (pixel centres on integers). The frame is scaled by
``s = min(W1 / W0, H1 / H0)`` to ``w x h = round(W0 s) x round(H0 s)`` pixels (exactly one
side fills the input unless both do) and placed at the integer offset
``(px, py) = ((W1 - w) // 2, (H1 - h) // 2)``; the rest is zero. The affine recorded in
``input_from_frame`` is the one the image underwent, ``x -> (x + 0.5) w / W0 - 0.5 + px``
(likewise ``y``), so mapping predictions back to the frame with its inverse is exact
(docs/contracts.md, "Letterbox"). ``w / W0`` and ``h / H0`` differ from ``s`` by the
rounding of ``w`` and ``h``, at most half an input pixel across the whole frame.
"""
import math

import numpy as np
from posekit.registry import TRANSFORMS
from .geometric import Resize, resize_image, resize_matrix


def letterbox_layout(src_size: tuple[int, int], dst_size: tuple[int, int]
                     ) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where a ``src_size`` frame lands in a ``dst_size`` letterbox.

    Args:
        src_size: Frame ``(W0, H0)``.
        dst_size: Input ``(W1, H1)``.

    Returns:
        ``((w, h), (px, py))``: the scaled frame's size and its top-left offset in input
        pixels.
    """
    scale = min(dst_size[0] / src_size[0], dst_size[1] / src_size[1])
    inner = tuple(min(d, max(1, math.floor(s * scale + 0.5))) for s, d in zip(src_size, dst_size))
    offset = tuple((d - i) // 2 for d, i in zip(dst_size, inner))
    return inner, offset


def letterbox_matrix(src_size: tuple[int, int], dst_size: tuple[int, int]) -> np.ndarray:
    """The ``(3, 3)`` float64 affine from frame to letterboxed input pixels.

    Args:
        src_size: Frame ``(W0, H0)``.
        dst_size: Input ``(W1, H1)``.

    Returns:
        ``translate(px, py) @ resize(W0 x H0 -> w x h)`` (see :func:`letterbox_layout`).
    """
    inner, (px, py) = letterbox_layout(src_size, dst_size)
    shift = np.array([[1., 0., px], [0., 1., py], [0., 0., 1.]])
    return shift @ resize_matrix(src_size, inner)


def letterbox_image(img: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """Scale ``img`` keeping its aspect ratio and centre it on a zero canvas.

    Args:
        img: ``(H0, W0, C)`` or ``(H0, W0)`` image.
        input_size: Output ``(W1, H1)``.

    Returns:
        The ``(H1, W1, ...)`` image, same dtype (area interpolation when shrinking).
    """
    height0, width0 = img.shape[:2]
    (width, height), (px, py) = letterbox_layout((width0, height0), input_size)
    canvas = np.zeros((input_size[1], input_size[0]) + img.shape[2:], img.dtype)
    canvas[py:py + height, px:px + width] = resize_image(img, (width, height))[0]
    return canvas


@TRANSFORMS.register_module()
class Letterbox(Resize):
    """Resize the whole image to fit ``input_size`` with its aspect ratio, padding with zeros.

    A square frame into a square input is exactly :class:`Resize`. The pad stays in the
    input: later augmentations (``RandomAffine``…) move it with the image. ``transform``
    (``img``, ``keypoints`` and ``input_from_frame``) is :class:`Resize`'s.

    Args:
        input_size (tuple[int, int]): Output ``(W, H)``.
    """

    def resize_frame(self, frame: np.ndarray) -> np.ndarray:
        """One ``(H0, W0, ...)`` frame letterboxed into ``input_size``."""
        return letterbox_image(frame, self.input_size)

    def frame_matrix(self, size: tuple[int, int]) -> np.ndarray:
        """The ``(3, 3)`` affine from a ``(W0, H0)`` frame to letterboxed pixels."""
        return letterbox_matrix(size, self.input_size)
