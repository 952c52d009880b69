"""Registered losses; importing this package registers them in ``LOSSES``."""
from .base import Loss
from .fittable import FittableLoss, fittable_losses, is_fittable
from .heatmap import HeatmapJSLoss, HeatmapKLLoss, HeatmapMSELoss
from .pca import PCALoss, PCASingleViewLoss
from .pca_multiview import PCAMultiViewLoss
from .regression import RegressionMSELoss, RegressionRMSELoss, keypoint_distance
from .reprojection import ReprojectionLoss
from .temporal import TemporalHeatmapLoss, TemporalLoss
from .unimodal import UnimodalHeatmapLoss

__all__ = [
    'Loss', 'FittableLoss', 'fittable_losses', 'is_fittable', 'HeatmapMSELoss',
    'HeatmapKLLoss', 'HeatmapJSLoss', 'TemporalLoss',
    'TemporalHeatmapLoss', 'UnimodalHeatmapLoss', 'PCALoss', 'PCASingleViewLoss',
    'PCAMultiViewLoss', 'RegressionMSELoss', 'RegressionRMSELoss', 'keypoint_distance',
    'ReprojectionLoss',
]
