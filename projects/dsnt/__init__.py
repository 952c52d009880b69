"""DSNT integral-regression head, a plug-in example (``custom_imports=['projects.dsnt']``)."""
from .dsnt_head import DSNTHead, heatmap_expectation

__all__ = ['DSNTHead', 'heatmap_expectation']
