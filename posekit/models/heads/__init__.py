"""Heads map backbone features to model outputs (heatmaps, keypoints, confidences)."""
from .base import BaseHead
from .context_heatmap_head import ContextHeatmapHead, UpsamplingCRNN
from .heatmap_head import HeatmapHead
from .regression_head import RegressionHead

__all__ = ['BaseHead', 'ContextHeatmapHead', 'HeatmapHead', 'RegressionHead', 'UpsamplingCRNN']
