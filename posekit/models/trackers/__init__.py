"""Trackers: mmengine models assembled from a backbone, a head and loss lists."""
from .checkpoint_shapes import CheckpointMismatchError
from .pose_tracker import PoseTracker

__all__ = ['PoseTracker', 'CheckpointMismatchError']
