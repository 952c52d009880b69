"""Registered losses; importing this package registers them in ``LOSSES``."""
from .base import Loss
from .heatmap import HeatmapJSLoss, HeatmapKLLoss, HeatmapMSELoss

__all__ = ['Loss', 'HeatmapMSELoss', 'HeatmapKLLoss', 'HeatmapJSLoss']
