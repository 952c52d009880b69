"""The multiview toy project: two calibrated cameras, LP's layout, exact calibration."""
import json
import os
import os.path as osp

import cv2  # imported before decord: decord's bundled zlib breaks cv2's PNG reader otherwise
import decord
import numpy as np
import pandas as pd
import pytest

from posekit.datasets import MultiviewLabeledFramesDataset, MultiviewVideoClipDataset, toy
from posekit.datasets.io import read_dlc_csv
from posekit.datasets.transforms import LoadFrame, PackClipInputs, PackPoseInputs, Resize
from posekit.geometry3d import read_calibration, reprojection_errors, triangulate

PARTS = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
VIEWS = ['top', 'bottom']
SIZES = {'top': (160, 96), 'bottom': (160, 112)}
TEST_FRAMES = list(range(0, 500, 5))

pytestmark = pytest.mark.slow  # generating the project takes ~15-40 s


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_mv') / 'toy_multiview')
    return toy.ensure_toy_data(root, seed=0, multiview=True)


@pytest.fixture(scope='module')
def meta(root):
    with open(osp.join(root, 'toy_meta.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def ground_truth_3d(root):
    table = pd.read_csv(osp.join(root, 'ground_truth', 'session3_3d.csv'), header=[0, 1, 2],
                        index_col=0)
    assert [c[1:] for c in table.columns] == [(p, c) for p in PARTS for c in 'xyz']
    return table.to_numpy().reshape(len(table), len(PARTS), 3)


def test_layout_and_meta(root, meta):
    assert sorted(os.listdir(root)) == [
        'CollectedData_bottom.csv', 'CollectedData_bottom_test.csv', 'CollectedData_top.csv',
        'CollectedData_top_test.csv', 'calibrations', 'ground_truth', 'labeled-data',
        'toy_meta.json', 'videos', 'videos_test']
    assert sorted(os.listdir(osp.join(root, 'videos'))) == [
        'session1_bottom.mp4', 'session1_top.mp4', 'session2_bottom.mp4', 'session2_top.mp4']
    assert sorted(os.listdir(osp.join(root, 'calibrations'))) == [
        'session1.toml', 'session2.toml', 'session3.toml']
    assert sorted(os.listdir(osp.join(root, 'labeled-data'))) == [
        'session1_bottom', 'session1_top', 'session3_bottom', 'session3_top']
    assert meta['multiview'] == toy.MULTIVIEW_VERSION and meta['view_names'] == VIEWS
    assert meta['frame_sizes'] == {v: {'width': w, 'height': h} for v, (w, h) in SIZES.items()}
    assert meta['keypoint_names'] == PARTS
    assert meta['videos']['session3'] == {v: f'videos_test/session3_{v}.mp4' for v in VIEWS}
    assert meta['labeled_frames']['session3'] == TEST_FRAMES
    # the mirror toy's labeled frames: the same instants, now seen by two cameras
    assert meta['labeled_frames']['session1'] == [
        int(f) for f in toy.frames.labeled_frames(0, {'session1': 600, 'session3': 500})
        ['session1']]
    # a multiview project is not mistaken for the mirror or small-figure one (and vice versa)
    assert toy.project._meta_matches(root, 0, multiview=True, small_figure=False)
    assert not toy.project._meta_matches(root, 0, multiview=False, small_figure=False)
    assert not toy.project._meta_matches(root, 0, multiview=False, small_figure=True)


def test_view_label_files_have_the_same_rows(root, meta):
    tables = {v: read_dlc_csv(osp.join(root, f'CollectedData_{v}.csv')) for v in VIEWS}
    frames = meta['labeled_frames']['session1']
    for view, table in tables.items():
        assert table.keypoint_names == PARTS and len(table) == 80
        assert table.image_paths == [f'labeled-data/session1_{view}/img{f:05d}.png'
                                     for f in frames]
        png = cv2.imread(osp.join(root, table.image_paths[0]))
        assert png.shape == (SIZES[view][1], SIZES[view][0], 3)
        inside = table.keypoints[~np.isnan(table.keypoints[..., 0])]
        assert inside[:, 0].min() > 4 and inside[:, 0].max() < SIZES[view][0] - 4
        assert inside[:, 1].min() > 4 and inside[:, 1].max() < SIZES[view][1] - 4
    # the bar occludes the top view only: missing there, seen from below
    missing = np.isnan(tables['top'].keypoints[..., 0])
    assert missing.any() and not np.isnan(tables['bottom'].keypoints).any()
    test = read_dlc_csv(osp.join(root, 'CollectedData_top_test.csv'))
    assert test.image_paths == [f'labeled-data/session3_top/img{f:05d}.png'
                                for f in TEST_FRAMES]


def test_ground_truth_is_the_mirror_toys_motion(ground_truth_3d):
    session = toy.simulate_session(toy.SESSIONS[2], seed=0, index=2)
    assert ground_truth_3d.shape == (500, 7, 3)
    np.testing.assert_array_equal(ground_truth_3d, session.motion.parts)


def test_triangulated_labels_recover_the_3d_ground_truth(root, ground_truth_3d):
    calibration = read_calibration(osp.join(root, 'calibrations', 'session3.toml'))
    assert calibration.names == VIEWS
    assert [c.size for c in calibration.cameras] == [SIZES[v] for v in VIEWS]
    assert np.abs(calibration.cameras[0].distortions).max() > 0  # the lenses distort
    pixels = np.stack([read_dlc_csv(osp.join(root, 'ground_truth', f'session3_{v}.csv'))
                       .keypoints for v in VIEWS])  # (V, 500, 7, 2)
    points = triangulate(pixels, calibration.cameras)
    error = np.linalg.norm(points - ground_truth_3d, axis=-1)
    assert error.max() < 0.01
    assert np.nanmax(reprojection_errors(points, pixels, calibration.cameras)) < 1e-4
    # the test labels (NaN where occluded in the top view) triangulate where both views see
    labels = np.stack([read_dlc_csv(osp.join(root, f'CollectedData_{v}_test.csv')).keypoints
                       for v in VIEWS])
    from_labels = triangulate(labels, calibration.cameras)
    seen = ~np.isnan(labels[0, ..., 0])
    assert 0 < (~seen).sum() and np.isnan(from_labels[~seen]).all()
    assert np.abs(from_labels[seen] - ground_truth_3d[TEST_FRAMES][seen]).max() < 0.01


def test_videos_are_synchronised_and_sized_per_view(root, meta):
    for session, length in meta['session_lengths'].items():
        for view in VIEWS:
            reader = decord.VideoReader(osp.join(root, meta['videos'][session][view]))
            assert len(reader) == length
            assert reader[0].shape == (SIZES[view][1], SIZES[view][0], 3)


def test_figure_is_drawn_at_the_labels(root):
    """Paws are drawn in their colours where the labels put them, in both views."""
    paw_colours = 0.85 * np.array([toy.PAW_COLOURS[p] for p in toy.PAW_NAMES], float)
    for view in VIEWS:
        table = read_dlc_csv(osp.join(root, f'CollectedData_{view}_test.csv'))
        images = np.stack([cv2.cvtColor(cv2.imread(osp.join(root, p)), cv2.COLOR_BGR2RGB)
                           for p in table.image_paths]).astype(float)
        recognised, count = 0, 0
        for i in range(len(table)):
            for j in range(4):
                x, y = table.keypoints[i, 2 + j]
                if np.isnan(x):
                    continue
                pixel = images[i, int(np.floor(y + 0.5)), int(np.floor(x + 0.5))]
                count += 1
                recognised += np.argmin(np.abs(paw_colours - pixel).sum(axis=1)) == j
        assert count > 350 and recognised / count > 0.8, (view, recognised / count)


def test_multiview_datasets_read_the_project(root):
    labeled = MultiviewLabeledFramesDataset(
        ['top', 'bottom'], data_root=root, test_ann_file='CollectedData_{view}_test.csv',
        split='all', pipeline=[LoadFrame(), Resize((64, 64)), PackPoseInputs()])
    assert len(labeled) == 180
    item = labeled[len(labeled) - 1]  # session 3's frame 495, both views
    assert item['inputs'].shape == (2, 3, 64, 64)
    assert item['data_samples']['image'] == ['labeled-data/session3_top/img00495.png',
                                             'labeled-data/session3_bottom/img00495.png']
    clips = MultiviewVideoClipDataset(osp.join(root, 'videos'), ['top', 'bottom'],
                                      [Resize((64, 64)), PackClipInputs()], clip_length=8)
    assert clips.session_names == ['session1', 'session2'] and len(clips) == 1600 // 8
    assert clips[0]['inputs'].shape == (2, 8, 3, 64, 64)
