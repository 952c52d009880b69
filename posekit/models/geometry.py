"""Map model-space keypoints back to original frame pixels."""
from typing import Optional

import torch
from torch import Tensor


def apply_affine(points: Tensor, matrix: Tensor) -> Tensor:
    """Apply homogeneous 2-D affine matrices to points.

    Args:
        points: ``(N, K, 2)`` points.
        matrix: ``(N, 3, 3)`` matrices (or ``(3, 3)``, broadcast).

    Returns:
        ``(N, K, 2)`` transformed points.
    """
    matrix = matrix.to(points.dtype)
    return points @ matrix[..., :2, :2].transpose(-1, -2) + matrix[..., None, :2, 2]


def input_to_frame(points: Tensor, input_from_frame: Tensor,
                   flip_indices: Optional[Tensor] = None) -> Tensor:
    """Map points predicted in the (augmented) input image to original frame pixels.

    Args:
        points: ``(N, K, ...)`` with ``(x, y)`` first in the last dim for keypoints, or
            ``(N, K)`` per-keypoint values (only re-ordered).
        input_from_frame: ``(N, 3, 3)`` affine from frame to input pixels.
        flip_indices: ``(N, K)``: input keypoint ``i`` is frame keypoint ``flip_indices[i]``
            (a horizontal flip swaps left/right names); None = identity.

    Returns:
        The same shape, in frame pixels and frame keypoint order.
    """
    if points.dim() == 3:
        points = apply_affine(points, torch.linalg.inv(input_from_frame.double()))
    if flip_indices is None:
        return points
    index = flip_indices.long()
    if points.dim() == 3:
        index = index.unsqueeze(-1).expand_as(points)
    return torch.empty_like(points).scatter(1, index, points)
