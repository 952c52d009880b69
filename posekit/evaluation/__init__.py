"""Evaluation: the registered metrics of labeled-frame predictions (video metrics:
``posekit.inference.metrics``)."""
from . import metrics

__all__ = ['metrics']
