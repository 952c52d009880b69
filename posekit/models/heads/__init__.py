"""Heads map backbone features to model outputs (heatmaps, keypoints, confidences)."""
from .heatmap_head import HeatmapHead

__all__ = ['HeatmapHead']
