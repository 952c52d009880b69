"""Bone-length constancy loss, a plug-in example (``custom_imports=['projects.bone_length']``)."""
from .bone_length_loss import BoneLengthLoss

__all__ = ['BoneLengthLoss']
