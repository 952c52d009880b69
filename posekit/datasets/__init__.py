"""Datasets (labeled frames, video clips), label I/O, toy data and transforms."""
from . import transforms
from .labeled_frames import LabeledFramesDataset, assign_splits, split_sizes
from .multiview_clips import MultiviewVideoClipDataset, group_session_videos
from .multiview_frames import MultiviewLabeledFramesDataset, stack_views
from .video_clips import VideoClipDataset, clip_collate
from .video_io import (VideoInfo, VideoReadError, VideoReaderCache, list_videos, open_video,
                       read_frames, video_backend, video_info)

__all__ = [
    'transforms', 'LabeledFramesDataset', 'assign_splits', 'split_sizes', 'VideoClipDataset',
    'clip_collate', 'VideoInfo', 'VideoReadError', 'VideoReaderCache', 'list_videos',
    'open_video', 'read_frames', 'video_backend', 'video_info', 'MultiviewLabeledFramesDataset',
    'MultiviewVideoClipDataset', 'group_session_videos', 'stack_views'
]
