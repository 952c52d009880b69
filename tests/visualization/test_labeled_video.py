"""Labeled videos: one output frame per input frame, keypoints drawn where predicted."""
import cv2
import numpy as np
import pytest

from posekit.datasets.io import to_dataframe
from posekit.datasets.video_io import read_frames, video_info
from posekit.visualization import keypoint_colors, write_labeled_video


@pytest.fixture
def video(tmp_path):
    path = str(tmp_path / 'grey.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25., (80, 64))
    for _ in range(12):
        writer.write(np.full((64, 80, 3), 128, np.uint8))
    writer.release()
    return path


def test_labeled_video_has_every_frame_and_the_keypoints(video, tmp_path):
    keypoints = np.tile([[20., 40.], [60., 40.], [np.nan, np.nan]], (12, 1, 1))
    confidences = np.tile([0.9, 0.01, 0.9], (12, 1))  # keypoint 1 below the threshold
    df = to_dataframe(range(12), ['a', 'b', 'c'], keypoints, likelihood=confidences)
    out = write_labeled_video(video, df, str(tmp_path / 'out' / 'grey_labeled.mp4'),
                              conf_threshold=0.05, radius=4)
    info = video_info(out)
    assert (info.num_frames, info.width, info.height) == (12, 80, 64)
    frames = read_frames(out, range(12)).astype(int)
    color = np.array(keypoint_colors(3)[0][::-1])  # BGR -> RGB
    assert np.abs(frames[:, 40, 20] - color).max() < 40  # drawn
    assert np.abs(frames[:, 40, 60] - 128).max() < 20  # below the threshold: not drawn
    assert frames[:, 2:8, :30].mean() < 60  # the banner strip is dark


def test_arrays_without_confidences_draw_every_keypoint(video, tmp_path):
    keypoints = np.tile([[60., 40.]], (12, 1, 1))
    out = write_labeled_video(video, (keypoints, None), str(tmp_path / 'all.mp4'), radius=4,
                              banner=False)
    frames = read_frames(out, [0, 11]).astype(int)
    assert np.abs(frames[:, 40, 60] - 128).max() > 40


def test_row_count_must_match_the_video(video, tmp_path):
    with pytest.raises(ValueError, match='5 rows of predictions for the 12 frames'):
        write_labeled_video(video, (np.zeros((5, 1, 2)), None), str(tmp_path / 'x.mp4'))
