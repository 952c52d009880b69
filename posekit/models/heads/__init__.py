"""Heads map backbone features to model outputs (heatmaps, keypoints, confidences)."""
from .context_heatmap_head import ContextHeatmapHead, UpsamplingCRNN
from .heatmap_head import HeatmapHead
from .regression_head import RegressionHead

__all__ = ['ContextHeatmapHead', 'HeatmapHead', 'RegressionHead', 'UpsamplingCRNN']
