"""Evaluation: metrics of labeled-frame and video predictions."""
from . import metrics

__all__ = ['metrics']
