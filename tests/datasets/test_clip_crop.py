"""Unlabeled clips cropped at first-stage boxes (posekit/datasets/transforms/clip_crop.py)."""
from pathlib import Path

import numpy as np
import pytest

from posekit.datasets import VideoClipDataset
from posekit.datasets.io import read_dlc_csv, write_dlc_csv
from posekit.datasets.transforms import CropClipToBoxes

ROOT = Path(__file__).resolve().parents[2]


def clip_results(video, frames, size=(120, 100)):
    img = np.zeros((len(frames), size[1], size[0], 3), np.uint8)
    return dict(img=img, ori_shape=img.shape[1:3], img_shape=img.shape[1:3],
                input_from_frame=np.eye(3), video=video,
                frame_indices=np.asarray(frames, np.int64))


def write_predictions(folder, num_frames=10):
    """Two keypoints per frame, moving 2 px right per frame; the second one not confident
    on frame 3."""
    t = np.arange(num_frames, dtype=float)
    keypoints = np.stack([np.stack([20 + 2 * t, 30 + 0 * t], -1),
                          np.stack([40 + 2 * t, 40 + 0 * t], -1)], axis=1)
    likelihood = np.full((num_frames, 2), 0.9)
    likelihood[3, 1] = 0.05
    write_dlc_csv(str(folder / 'mouse.csv'), range(num_frames), ['nose', 'tail'], keypoints,
                  likelihood=likelihood)


def test_a_clip_gets_one_window_holding_its_frames_boxes(tmp_path):
    write_predictions(tmp_path)
    crop = CropClipToBoxes(str(tmp_path), smooth_frames=1, size_quantile=1.0, padding=0.25)
    results = crop(clip_results('/videos/mouse.mp4', [4, 5, 6, 7]))
    # extents 20 x 10 (frame 3: 0 x 0) -> box 30 x 30; centres x 30 + 2t = 38 40 42 44, y 35
    # clip window: centre (41, 35), size 30 + (6, 0) -> square 36: left 41 - 17.5 + 0.5 = 24,
    # top 35 - 17.5 + 0.5 = 18
    assert results['img'].shape == (4, 36, 36, 3)
    np.testing.assert_array_equal(results['input_from_frame'][:2, 2], [-24., -18.])
    np.testing.assert_allclose(crop.boxes('/videos/mouse.mp4').size, [30., 30.])


def test_missing_predictions_and_short_files_are_named(tmp_path):
    write_predictions(tmp_path, num_frames=6)
    crop = CropClipToBoxes(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='no stage-1 predictions .*rat.csv for video'):
        crop(clip_results('/videos/rat.mp4', [0, 1]))
    with pytest.raises(ValueError, match='have 6 rows, the clip needs frame 7'):
        crop(clip_results('/videos/mouse.mp4', [6, 7]))


def test_clips_of_the_small_figure_toy_hold_the_animal():
    """Boxes from the session's true keypoints (a stand-in for stage-1 predictions)."""
    root = ROOT / 'data' / 'toy_small'
    dataset = VideoClipDataset(
        videos='videos_test', data_root=str(root), clip_length=8, seed=0, pipeline=[
            dict(type='CropClipToBoxes', predictions=str(root / 'ground_truth'),
                 padding=0.1),
            dict(type='Resize', input_size=(64, 64)),
            dict(type='PackClipInputs')])
    truth = read_dlc_csv(str(root / 'ground_truth' / 'session3.csv')).keypoints
    for index in range(5):
        item = dataset[index]
        samples = item['data_samples']
        frames = samples['frame_indices'].numpy()
        matrix = samples['input_from_frame'][0].double().numpy()
        inputs = truth[frames] @ matrix[:2, :2].T + matrix[:2, 2]
        assert item['inputs'].shape == (8, 3, 64, 64)
        # every keypoint of every frame inside the 64 x 64 input, the animal zoomed to fill
        # most of it (the frame is 320 px: a whole-frame resize would scale by 0.2)
        assert (inputs >= -0.5).all() and (inputs <= 63.5).all()
        assert matrix[0, 0] > 0.5
