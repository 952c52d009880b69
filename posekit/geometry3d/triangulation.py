"""Confidence-weighted linear (DLT) triangulation and reprojection errors.

Each view ``v`` that sees a point at normalised coordinates ``(x, y)`` (pixels with the lens
distortion removed) contributes two linear equations in the world point ``X``::

    w_v (x P_v3 - P_v1) . (X, 1) = 0,   w_v (y P_v3 - P_v2) . (X, 1) = 0

with ``P_v = [R_v | t_v]`` and weight ``w_v`` (the view's confidence, 1 without
confidences). Their least-squares solution (normal equations ``A^T A X = -A^T b``, a 3 × 3
solve in float64) is the triangulated point; it is exact for exact observations and
differentiable in torch. A view whose point is NaN or whose confidence is below the
threshold is dropped; a point seen by fewer than two views is NaN.
"""
from collections.abc import Sequence
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from .calibration import Camera
from .projection import (CameraTensors, project_points, project_points_torch, undistort_points,
                         undistort_points_torch)


def view_weights(pixels: Tensor, confidences: Optional[Tensor], threshold: float) -> Tensor:
    """Per-view weights ``(V, ...)``: the confidence (1 without), 0 where dropped.

    A view is dropped where its point is NaN or its confidence is below ``threshold``.

    Args:
        pixels: ``(V, ..., 2)`` points.
        confidences: ``(V, ...)`` confidences, or None.
        threshold: Minimum confidence of a view that is used.
    """
    seen = torch.isfinite(pixels).all(dim=-1)
    if confidences is None:
        return seen.to(pixels.dtype)
    confidences = confidences.to(pixels.dtype)
    return torch.where(seen & (confidences >= threshold) & (confidences > 0), confidences,
                       torch.zeros_like(confidences))


def triangulate_normalised(normalised: Tensor, extrinsics: Tensor, weights: Tensor) -> Tensor:
    """Weighted linear triangulation of normalised coordinates (differentiable).

    Args:
        normalised: ``(V, M, 2)`` normalised coordinates (anything where the weight is 0).
        extrinsics: ``(V, 3, 4)`` matrices ``[R | t]``.
        weights: ``(V, M)`` non-negative weights; 0 drops a view.

    Returns:
        ``(M, 3)`` world points, NaN where fewer than two views have a positive weight.
    """
    used = weights > 0
    normalised = torch.where(used[..., None], normalised, torch.zeros_like(normalised))
    rows = (normalised[..., None] * extrinsics[:, None, 2:3, :]
            - extrinsics[:, None, :2, :])  # (V, M, 2, 4)
    rows = rows * weights[..., None, None]
    a = rows.permute(1, 0, 2, 3).reshape(normalised.shape[1], -1, 4)  # (M, 2V, 4)
    normal = a[..., :3].transpose(1, 2) @ a[..., :3]
    rhs = -(a[..., :3].transpose(1, 2) @ a[..., 3:])
    enough = used.sum(dim=0) >= 2
    eye = torch.eye(3, dtype=normal.dtype, device=normal.device).expand_as(normal)
    normal = torch.where(enough[:, None, None], normal, eye)
    rhs = torch.where(enough[:, None, None], rhs, torch.zeros_like(rhs))
    points = torch.linalg.solve(normal, rhs)[..., 0]
    return torch.where(enough[:, None], points, torch.full_like(points, float('nan')))


def triangulate_torch(pixels: Tensor, cameras: CameraTensors,
                      confidences: Optional[Tensor] = None, threshold: float = 0.) -> Tensor:
    """Triangulate frame-pixel observations of ``V`` calibrated views (differentiable).

    Args:
        pixels: ``(V, ..., 2)`` frame pixels per view (NaN where unseen).
        cameras: The ``V`` cameras.
        confidences: ``(V, ...)`` confidences weighting the views, or None (equal weights).
        threshold: Views whose confidence is below it are dropped.

    Returns:
        ``(..., 3)`` float64 world points, NaN where fewer than two views remain.
    """
    pixels = pixels.to(torch.float64)
    weights = view_weights(pixels, confidences, threshold)
    safe = torch.where(weights[..., None] > 0, pixels, torch.zeros_like(pixels))
    n_views = pixels.shape[0]
    normalised = undistort_points_torch(safe.reshape(n_views, -1, 2), cameras)
    points = triangulate_normalised(normalised, cameras.extrinsics, weights.reshape(n_views, -1))
    return points.reshape(*pixels.shape[1:-1], 3)


def triangulate(pixels: np.ndarray, cameras: Sequence[Camera],
                confidences: Optional[np.ndarray] = None, threshold: float = 0.) -> np.ndarray:
    """Triangulate frame-pixel observations of ``V`` calibrated views (numpy, OpenCV).

    Undistorts with OpenCV (iterated to convergence), then solves the same weighted DLT as
    :func:`triangulate_torch`.

    Args:
        pixels: ``(V, ..., 2)`` frame pixels per view (NaN where unseen).
        cameras: The ``V`` cameras.
        confidences: ``(V, ...)`` confidences weighting the views, or None.
        threshold: Views whose confidence is below it are dropped.

    Returns:
        ``(..., 3)`` float64 world points, NaN where fewer than two views remain.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.shape[0] != len(cameras) or pixels.shape[-1] != 2:
        raise ValueError(f'triangulate: pixels of shape {pixels.shape} do not match '
                         f'{len(cameras)} cameras; expected (V, ..., 2)')
    n_views = len(cameras)
    normalised = np.stack([undistort_points(p, cam) for p, cam in zip(pixels, cameras)])
    weights = view_weights(torch.from_numpy(pixels),
                           None if confidences is None else torch.as_tensor(confidences),
                           threshold)
    extrinsics = torch.from_numpy(np.stack([cam.extrinsics for cam in cameras]))
    points = triangulate_normalised(torch.from_numpy(normalised).reshape(n_views, -1, 2),
                                    extrinsics, weights.reshape(n_views, -1))
    return points.numpy().reshape(*pixels.shape[1:-1], 3)


def reprojection_errors(points: np.ndarray, pixels: np.ndarray,
                        cameras: Sequence[Camera]) -> np.ndarray:
    """Distance in pixels between each view's observation and the world point's projection.

    Args:
        points: ``(..., 3)`` world points.
        pixels: ``(V, ..., 2)`` observations in frame pixels.
        cameras: The ``V`` cameras.

    Returns:
        ``(V, ...)`` errors, NaN where the point or the observation is NaN.
    """
    projected = np.stack([project_points(points, cam) for cam in cameras])
    return np.linalg.norm(projected - np.asarray(pixels, dtype=np.float64), axis=-1)


def reprojection_errors_torch(points: Tensor, pixels: Tensor, cameras: CameraTensors) -> Tensor:
    """:func:`reprojection_errors` in torch (differentiable where finite).

    Args:
        points: ``(..., 3)`` world points, float64.
        pixels: ``(V, ..., 2)`` observations, float64.
        cameras: The ``V`` cameras.

    Returns:
        ``(V, ...)`` errors, NaN where the point or the observation is NaN.
    """
    return torch.linalg.vector_norm(project_points_torch(points, cameras) - pixels, dim=-1)
