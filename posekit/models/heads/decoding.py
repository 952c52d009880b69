"""Heatmap → keypoint decoding: differentiable sub-pixel soft-argmax and confidences."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor


def heatmap_to_input(coords: Tensor, stride: int) -> Tensor:
    """Map heatmap-pixel coordinates to input-pixel coordinates (pixel centres on integers)."""
    return (coords + 0.5) * stride - 0.5


def input_to_heatmap(coords: Tensor, stride: int) -> Tensor:
    """Map input-pixel coordinates to heatmap-pixel coordinates."""
    return (coords + 0.5) / stride - 0.5


def soft_argmax(heatmaps: Tensor, stride: int, temperature: float = 20.) -> Tensor:
    """Sub-pixel keypoints by a high-temperature soft-argmax on upsampled heatmaps.

    As Lightning Pose, the heatmaps are upsampled to input resolution (bicubic) and a spatial
    softmax with a high temperature turns each into a sharp distribution whose expectation is
    the keypoint. Unlike LP, each map is first divided by its maximum, so the temperature acts
    the same on confident and diffuse maps (a fixed temperature on raw probabilities pulls
    low-confidence predictions towards the image centre) and the result does not depend on
    the heatmap size. On exact Gaussian targets the error is below 0.05 input px.

    Args:
        heatmaps: ``(N, K, h, w)`` non-negative heatmaps.
        stride: Input pixels per heatmap pixel (``2 ** downsample``).
        temperature: Softmax temperature applied to the max-normalised upsampled maps.

    Returns:
        ``(N, K, 2)`` ``(x, y)`` in input pixels.
    """
    n, k, h, w = heatmaps.shape
    up = heatmaps
    if stride > 1:
        up = F.interpolate(heatmaps, scale_factor=stride, mode='bicubic', align_corners=False)
    up = up / up.amax(dim=(-2, -1), keepdim=True).clamp_min(1e-12)
    height, width = up.shape[-2:]
    prob = torch.softmax(temperature * up.flatten(2), dim=-1).view(n, k, height, width)
    xs = torch.arange(width, dtype=prob.dtype, device=prob.device)
    ys = torch.arange(height, dtype=prob.dtype, device=prob.device)
    x = (prob.sum(dim=-2) * xs).sum(dim=-1)
    y = (prob.sum(dim=-1) * ys).sum(dim=-1)
    return torch.stack([x, y], dim=-1)


def window_confidence(heatmaps: Tensor, keypoints_hm: Tensor, radius: int) -> Tensor:
    """Probability mass of each heatmap in a ``(2r+1)²`` window around a location.

    Args:
        heatmaps: ``(N, K, h, w)`` heatmaps, each summing to 1.
        keypoints_hm: ``(N, K, 2)`` locations in heatmap pixels.
        radius: Half-width ``r`` of the window in heatmap pixels.

    Returns:
        ``(N, K)`` confidences in [0, 1].
    """
    n, k, h, w = heatmaps.shape
    size = 2 * radius + 1
    box = F.avg_pool2d(F.pad(heatmaps, (radius,) * 4), size, stride=1) * size * size
    ix = keypoints_hm[..., 0].round().long().clamp(0, w - 1)
    iy = keypoints_hm[..., 1].round().long().clamp(0, h - 1)
    return box.flatten(2).gather(2, (iy * w + ix).unsqueeze(-1)).squeeze(-1)


def confidence_radius(sigma: float) -> int:
    """LP's window half-width: all heatmap pixels within two standard deviations."""
    return int(math.floor(2 * sigma))
