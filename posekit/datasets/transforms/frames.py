"""Single images and frame stacks: transforms apply one random draw to every frame alike.

A sample's ``img`` is either one ``(H, W, 3)`` image or, for context models, a stack
``(F, H, W, 3)`` of consecutive frames (centre frame in the middle) that must all receive
exactly the same augmentation, so each transform draws its random parameters once and maps
the resulting per-image operation over the stack with :func:`map_frames`.
"""
from collections.abc import Callable

import numpy as np


def frame_size(img: np.ndarray) -> tuple[int, int]:
    """``(H, W)`` of an ``(H, W[, C])`` image or of each frame of an ``(F, H, W, C)`` stack."""
    return tuple(img.shape[1:3]) if img.ndim == 4 else tuple(img.shape[:2])


def map_frames(func: Callable[[np.ndarray], np.ndarray], img: np.ndarray) -> np.ndarray:
    """Apply a per-image function to an image, or to each frame of a stack.

    Args:
        func: Maps one ``(H, W, C)`` image to one image; every frame must give the same shape.
        img: ``(H, W, C)`` image or ``(F, H, W, C)`` stack.

    Returns:
        ``func(img)``, or the ``(F, ...)`` stack of ``func(frame)``.
    """
    if img.ndim == 4:
        return np.stack([func(frame) for frame in img])
    return func(img)
