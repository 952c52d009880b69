"""Datasets (labeled frames, video clips), label I/O, toy data and transforms."""
from . import transforms
from .labeled_frames import LabeledFramesDataset, assign_splits, split_sizes

__all__ = ['transforms', 'LabeledFramesDataset', 'assign_splits', 'split_sizes']
