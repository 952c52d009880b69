"""Evaluation: metrics of labeled-frame and video predictions."""
from . import metrics
from .video_metrics import (fitted_pca_losses, pca_error_tables, pixel_errors, read_ground_truth,
                            read_occluded, temporal_norm, video_metrics)

__all__ = ['metrics', 'fitted_pca_losses', 'pca_error_tables', 'pixel_errors',
           'read_ground_truth', 'read_occluded', 'temporal_norm', 'video_metrics']
