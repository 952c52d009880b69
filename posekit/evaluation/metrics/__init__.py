"""Registered metrics."""
from .pixel_error import PCK, PixelError
from .predictions_writer import PredictionsWriter

__all__ = ['PixelError', 'PCK', 'PredictionsWriter']
