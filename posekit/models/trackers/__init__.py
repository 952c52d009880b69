"""Trackers: mmengine models assembled from a backbone, a head and loss lists."""
from .pose_tracker import CheckpointMismatchError, PoseTracker

__all__ = ['PoseTracker', 'CheckpointMismatchError']
