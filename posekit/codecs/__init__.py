"""Keypoint codecs (registry ``KEYPOINT_CODECS``): input size, targets and decoding."""
from .base import BaseKeypointCodec, build_codec
from .heatmap import HeatmapCodec, gaussian_heatmaps
from .regression import RegressionCodec

__all__ = ['BaseKeypointCodec', 'HeatmapCodec', 'RegressionCodec', 'build_codec',
           'gaussian_heatmaps']
