"""Diagnostic plots are written as non-trivial PNG files."""
import cv2
import numpy as np
import pandas as pd

from posekit.datasets.io import to_dataframe
from posekit.visualization import plot_calibration, plot_pixel_error_boxes, plot_traces

NAMES = ['nose', 'ear', 'tail']


def labeled_tables(likelihood=True):
    rng = np.random.default_rng(0)
    sets = ['train'] * 20 + ['validation'] * 5 + ['test'] * 10
    conf = rng.uniform(size=(35, 3))
    errors = pd.DataFrame(rng.exponential(3., size=(35, 3)) / (conf + 0.1), columns=NAMES,
                          index=[f'img{i}.png' for i in range(35)])
    errors.iloc[0, 1] = np.nan  # an unlabeled keypoint
    errors['set'] = sets
    preds = to_dataframe(errors.index, NAMES, rng.uniform(0, 100, size=(35, 3, 2)),
                         likelihood=conf if likelihood else np.full((35, 3), np.nan),
                         extra={'set': sets})
    return preds, errors


def assert_png(path, min_size=5_000):
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 300
    assert path.stat().st_size > min_size
    assert image.std() > 5  # not a blank canvas


def test_pixel_error_and_calibration_plots(tmp_path):
    preds, errors = labeled_tables()
    assert plot_pixel_error_boxes(errors, str(tmp_path / 'err.png')) == str(tmp_path / 'err.png')
    assert_png(tmp_path / 'err.png')
    assert plot_calibration(preds, errors, str(tmp_path / 'cal.png')) == str(tmp_path / 'cal.png')
    assert_png(tmp_path / 'cal.png')


def test_calibration_needs_confidences(tmp_path):
    preds, errors = labeled_tables(likelihood=False)
    assert plot_calibration(preds, errors, str(tmp_path / 'cal.png')) is None
    assert not (tmp_path / 'cal.png').exists()


def test_traces_with_low_confidence_and_reference(tmp_path):
    t = np.arange(200)
    keypoints = np.stack([np.stack([50 + 20 * np.sin(t / 20 + k), 40 + k * t / 50], -1)
                          for k in range(3)], axis=1)
    conf = np.ones((200, 3))
    conf[50:80, 1] = 0.01
    df = to_dataframe(t, NAMES, keypoints, likelihood=conf)
    path = plot_traces(df, str(tmp_path / 'sub' / 'traces.png'), conf_threshold=0.05,
                       reference=keypoints + 1)
    assert_png(tmp_path / 'sub' / 'traces.png', 20_000)
    assert path.endswith('traces.png')
