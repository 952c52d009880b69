"""Backbones, heads, losses and trackers; importing registers them."""
from . import backbones, heads, losses, trackers
from .data_preprocessor import PoseDataPreprocessor

__all__ = ['backbones', 'heads', 'losses', 'trackers', 'PoseDataPreprocessor']
