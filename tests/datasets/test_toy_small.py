"""The small-figure toy project (posekit/datasets/toy/small_figure.py), as tests/conftest.py
generates it under data/toy_small."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.datasets import toy
from posekit.datasets.io import read_dlc_csv
from posekit.datasets.toy.render import PAW_COLOURS
from posekit.datasets.toy.small_figure import SMALL_FRAME_SIZE, block_offsets
from posekit.datasets.toy.spec import SESSIONS, SUBPIXEL
from posekit.datasets.video_io import video_info

ROOT = Path(__file__).resolve().parents[2] / 'data' / 'toy_small'


def test_meta_names_the_layout_and_the_frames_are_four_times_the_figure():
    meta = json.loads((ROOT / 'toy_meta.json').read_text())
    assert meta['small_figure'] == 1 and meta['seed'] == 0
    assert meta['frame_size'] == dict(width=320, height=320)
    info = video_info(str(ROOT / 'videos_test' / 'session3.mp4'))
    assert (info.width, info.height, info.num_frames) == (320, 320, 500)
    labels = read_dlc_csv(str(ROOT / 'labeled-data' / 'session1' / 'CollectedData.csv'))
    extent = np.nanmax(labels.keypoints, axis=1) - np.nanmin(labels.keypoints, axis=1)
    assert extent.max() <= 320 / 3.5  # the figure's extent is at most ~ a quarter of a side
    assert np.isfinite(labels.keypoints).all()  # no occluder


def test_labels_are_the_mirror_toys_shifted_by_the_block_path():
    labels = read_dlc_csv(str(ROOT / 'labeled-data' / 'session1' / 'CollectedData.csv'))
    frames = [int(Path(p).stem[3:]) for p in labels.image_paths]
    session = toy.simulate_session(SESSIONS[0], 0, 0)
    offsets = block_offsets(0, 0, SESSIONS[0].n_frames)
    np.testing.assert_array_equal(labels.keypoints - offsets[frames][:, None],
                                  session.keypoints[frames])
    np.testing.assert_array_equal(offsets * SUBPIXEL, np.round(offsets * SUBPIXEL))
    room = np.array(SMALL_FRAME_SIZE) - 160
    assert (offsets >= 0).all() and (offsets <= room).all()
    # the figure travels across the frame: the block covers most of its room on both axes
    assert (np.ptp(offsets, axis=0) > 0.5 * room).all()


def test_paws_are_drawn_at_their_labels():
    labels = read_dlc_csv(str(ROOT / 'labeled-data' / 'session1' / 'CollectedData.csv'))
    column = labels.keypoint_names.index('paw_fl_bot')
    hits = 0
    for path, keypoints in zip(labels.image_paths, labels.keypoints):
        img = cv2.cvtColor(cv2.imread(str(ROOT / path)), cv2.COLOR_BGR2RGB).astype(int)
        assert img.shape == (320, 320, 3)
        x, y = np.rint(keypoints[column]).astype(int)
        hits += np.abs(img[y, x] - PAW_COLOURS['paw_fl']).max() < 70
    assert hits >= 0.95 * len(labels.image_paths)  # 80 of 80; 27 of 80 three px to the right


def test_multiview_and_small_figure_exclude_each_other(tmp_path):
    with pytest.raises(ValueError, match='multiview and small_figure exclude each other'):
        toy.ensure_toy_data(str(tmp_path / 'x'), multiview=True, small_figure=True)
