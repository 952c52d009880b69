"""Pictures and videos of predictions: labeled videos, error and trace plots."""
from .labeled_video import draw_keypoints, keypoint_colors, write_labeled_video
from .plots import plot_calibration, plot_pixel_error_boxes, plot_traces

__all__ = ['draw_keypoints', 'keypoint_colors', 'write_labeled_video', 'plot_calibration',
           'plot_pixel_error_boxes', 'plot_traces']
