"""Projecting world points into calibrated cameras and undistorting pixels, in numpy and torch.

The numpy functions use OpenCV (``cv2.projectPoints``, ``cv2.undistortPoints`` iterated to
convergence); the torch
ones implement the same model (k1, k2, p1, p2, k3) so that losses can differentiate through
it. *Normalised* coordinates are undistorted camera coordinates ``(X / Z, Y / Z)``.
"""
from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from .calibration import Camera

UNDISTORT_ITERATIONS = 30  # fixed-point iterations (OpenCV's default is 5)


def project_points(points: np.ndarray, camera: Camera) -> np.ndarray:
    """Project world points into a camera's frame pixels, distortion included.

    Args:
        points: ``(..., 3)`` world points (NaN rows give NaN).

    Returns:
        ``(..., 2)`` float64 frame pixels.
    """
    points = np.asarray(points, dtype=np.float64)
    flat = points.reshape(-1, 3)
    finite = np.isfinite(flat).all(axis=1)
    out = np.full((len(flat), 2), np.nan)
    if finite.any():
        pixels, _ = cv2.projectPoints(flat[finite][:, None], camera.rotation,
                                      camera.translation, camera.matrix, camera.distortions)
        out[finite] = pixels[:, 0]
    return out.reshape(*points.shape[:-1], 2)


def undistort_points(pixels: np.ndarray, camera: Camera) -> np.ndarray:
    """Frame pixels to normalised coordinates (lens distortion removed).

    Args:
        pixels: ``(..., 2)`` frame pixels (NaN rows give NaN).

    Returns:
        ``(..., 2)`` float64 normalised coordinates.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    flat = pixels.reshape(-1, 2)
    finite = np.isfinite(flat).all(axis=1)
    out = np.full((len(flat), 2), np.nan)
    if finite.any():
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-14)
        if hasattr(cv2, 'undistortPointsIter'):  # OpenCV 4
            normalised = cv2.undistortPointsIter(flat[finite][:, None], camera.matrix,
                                                 camera.distortions, None, None, criteria)
        else:  # OpenCV 5 merged the iterative variant into undistortPoints
            normalised = cv2.undistortPoints(flat[finite][:, None], camera.matrix,
                                             camera.distortions, criteria=criteria)
        out[finite] = normalised[:, 0]
    return out.reshape(*pixels.shape[:-1], 2)


class CameraTensors(torch.nn.Module):
    """The cameras of ``V`` views as float64 buffers, for torch projection and triangulation.

    Buffers: ``matrix (V, 3, 3)``, ``distortions (V, 5)``, ``rotation (V, 3, 3)`` (matrices),
    ``translation (V, 3)``. Being buffers, they follow the module to a device.

    Args:
        cameras: The cameras in view order.
    """

    def __init__(self, cameras: Sequence[Camera]):
        super().__init__()
        self.names = [cam.name for cam in cameras]

        def stack(values: list) -> Tensor:
            return torch.as_tensor(np.stack(values), dtype=torch.float64)

        self.register_buffer('matrix', stack([c.matrix for c in cameras]), persistent=False)
        self.register_buffer('distortions', stack([c.distortions for c in cameras]),
                             persistent=False)
        self.register_buffer('rotation', stack([c.rotation_matrix for c in cameras]),
                             persistent=False)
        self.register_buffer('translation', stack([c.translation for c in cameras]),
                             persistent=False)

    @property
    def extrinsics(self) -> Tensor:
        """``(V, 3, 4)`` matrices ``[R | t]``."""
        return torch.cat([self.rotation, self.translation[:, :, None]], dim=2)


def _distortion_terms(normalised: Tensor, distortions: Tensor) -> tuple[Tensor, Tensor]:
    """Radial factor ``(V, ..., 1)`` and tangential offset ``(V, ..., 2)`` at ``normalised``.

    ``distortions (V, 5)`` is broadcast over the middle dimensions of ``normalised (V, ..., 2)``.
    """
    shape = (distortions.shape[0],) + (1,) * (normalised.dim() - 2)
    k1, k2, p1, p2, k3 = (distortions[:, i].reshape(shape) for i in range(5))
    x, y = normalised[..., 0], normalised[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    tangential = torch.stack([2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                              p1 * (r2 + 2 * y * y) + 2 * p2 * x * y], dim=-1)
    return radial[..., None], tangential


def _to_pixels(normalised: Tensor, matrix: Tensor) -> Tensor:
    """Apply intrinsics ``(V, 3, 3)`` to ``(V, ..., 2)`` (distorted) normalised points."""
    shape = (matrix.shape[0],) + (1,) * (normalised.dim() - 2)
    fx, fy = matrix[:, 0, 0].reshape(shape), matrix[:, 1, 1].reshape(shape)
    skew = matrix[:, 0, 1].reshape(shape)
    cx, cy = matrix[:, 0, 2].reshape(shape), matrix[:, 1, 2].reshape(shape)
    x, y = normalised[..., 0], normalised[..., 1]
    return torch.stack([fx * x + skew * y + cx, fy * y + cy], dim=-1)


def project_points_torch(points: Tensor, cameras: CameraTensors) -> Tensor:
    """Project world points into every view (differentiable).

    Args:
        points: ``(..., 3)`` world points, float64.
        cameras: ``V`` cameras.

    Returns:
        ``(V, ..., 2)`` frame pixels in each view.
    """
    flat = points.reshape(-1, 3)
    camera_points = (torch.einsum('vij,mj->vmi', cameras.rotation, flat)
                     + cameras.translation[:, None])
    normalised = camera_points[..., :2] / camera_points[..., 2:]
    radial, tangential = _distortion_terms(normalised, cameras.distortions)
    pixels = _to_pixels(normalised * radial + tangential, cameras.matrix)
    return pixels.reshape(len(cameras.names), *points.shape[:-1], 2)


def undistort_points_torch(pixels: Tensor, cameras: CameraTensors) -> Tensor:
    """Frame pixels of every view to normalised coordinates (differentiable).

    Inverts the distortion by OpenCV's fixed-point iteration, unrolled
    ``UNDISTORT_ITERATIONS`` times.

    Args:
        pixels: ``(V, ..., 2)`` frame pixels, float64.
        cameras: ``V`` cameras.

    Returns:
        ``(V, ..., 2)`` normalised coordinates.
    """
    shape = (pixels.shape[0],) + (1,) * (pixels.dim() - 2)
    fx, fy = cameras.matrix[:, 0, 0].reshape(shape), cameras.matrix[:, 1, 1].reshape(shape)
    skew = cameras.matrix[:, 0, 1].reshape(shape)
    cx, cy = cameras.matrix[:, 0, 2].reshape(shape), cameras.matrix[:, 1, 2].reshape(shape)
    y = (pixels[..., 1] - cy) / fy
    x = (pixels[..., 0] - cx - skew * y) / fx
    distorted = torch.stack([x, y], dim=-1)
    if not cameras.distortions.any():
        return distorted
    normalised = distorted
    for _ in range(UNDISTORT_ITERATIONS):
        radial, tangential = _distortion_terms(normalised, cameras.distortions)
        normalised = (distorted - tangential) / radial
    return normalised
