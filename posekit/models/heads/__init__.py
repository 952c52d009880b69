"""Heads map backbone features to model outputs (heatmaps, keypoints, confidences)."""
from .heatmap_head import HeatmapHead
from .regression_head import RegressionHead

__all__ = ['HeatmapHead', 'RegressionHead']
