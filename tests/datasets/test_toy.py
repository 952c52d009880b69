"""Tests of the deterministic toy data generator (posekit/datasets/toy/)."""
import json
import os
import os.path as osp
import time

import cv2
import numpy as np
import pandas as pd
import pytest

from posekit.datasets import toy
from posekit.datasets.io import read_dlc_csv
from posekit.datasets.video_io import read_frames, video_info

PARTS = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
NAMES = [f'{p}_top' for p in PARTS] + [f'{p}_bot' for p in PARTS]
SESSION_LENGTHS = {'session1': 600, 'session2': 1000, 'session3': 500}
TEST_FRAMES = list(range(0, 500, 5))


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    """The toy project (seed 0) generated once through ``ensure_toy_data``, and its CPU time.

    CPU time of this process (all its threads), not wall time: the suite shares the machine
    with other test workers, which stretch wall time but not the work done here.
    """
    root = str(tmp_path_factory.mktemp('toy') / 'toy')
    start = time.process_time()
    toy.ensure_toy_data(root, seed=0)
    return root, time.process_time() - start


@pytest.fixture(scope='module')
def root(generated):
    return generated[0]


@pytest.fixture(scope='module')
def ground_truth(root):
    return read_dlc_csv(osp.join(root, 'ground_truth', 'session3.csv'))


@pytest.fixture(scope='module')
def occluded(root):
    return pd.read_csv(osp.join(root, 'ground_truth', 'session3_occluded.csv'), index_col=0)


@pytest.fixture(scope='module')
def meta(root):
    with open(osp.join(root, 'toy_meta.json')) as f:
        return json.load(f)


def read_png(path):
    """Read a PNG as RGB uint8."""
    img = cv2.imread(path)
    assert img is not None, f'cv2 cannot read {path} (was decord imported before cv2?)'
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def frame_of(path):
    return int(osp.basename(path)[3:8])


def test_generation_time(generated):
    assert generated[1] < 20.0


def test_layout(root, meta):
    assert sorted(os.listdir(root)) == [
        'ground_truth', 'labeled-data', 'toy_meta.json', 'videos', 'videos_test']
    for rel in ('labeled-data/session1/CollectedData.csv',
                'labeled-data/session3/CollectedData_test.csv', 'videos/session1.mp4',
                'videos/session2.mp4', 'videos_test/session3.mp4', 'ground_truth/session3.csv',
                'ground_truth/session3_occluded.csv'):
        assert osp.isfile(osp.join(root, rel)), rel
    # ensure_toy_data renamed its temporary directory into place and left nothing behind
    assert os.listdir(osp.dirname(root)) == ['toy']
    # the test frames and their +-2 neighbours (context models), clamped to the video
    test_pngs = {min(max(f + d, 0), 499) for f in TEST_FRAMES for d in range(-2, 3)}
    assert len(test_pngs) == 498
    assert sorted(os.listdir(osp.join(root, 'labeled-data', 'session3'))) == sorted(
        [f'img{f:05d}.png' for f in test_pngs] + ['CollectedData_test.csv'])
    assert meta['seed'] == 0 and meta['version'] == toy.TOY_VERSION
    assert meta['frame_size'] == {'width': 160, 'height': 160} and meta['fps'] == 30
    assert meta['keypoint_names'] == NAMES
    assert meta['view_columns'] == [list(range(7)), list(range(7, 14))]
    assert meta['session_lengths'] == SESSION_LENGTHS
    assert meta['labeled_frames']['session3'] == TEST_FRAMES


def test_labeled_frames_and_neighbours(root, meta):
    table = read_dlc_csv(osp.join(root, 'labeled-data', 'session1', 'CollectedData.csv'))
    assert len(table) == 80 and table.keypoint_names == NAMES and table.scorer == 'toy'
    frames = [frame_of(p) for p in table.image_paths]
    assert table.image_paths == [f'labeled-data/session1/img{f:05d}.png' for f in frames]
    assert frames == meta['labeled_frames']['session1'] == sorted(set(frames))
    assert 2 <= min(frames) and max(frames) <= 597
    expected = {min(max(f + d, 0), 599) for f in frames for d in range(-2, 3)}
    pngs = {frame_of(p) for p in os.listdir(osp.join(root, 'labeled-data', 'session1'))
            if p.endswith('.png')}
    assert pngs == expected
    assert read_png(osp.join(root, table.image_paths[0])).shape == (160, 160, 3)
    # a keypoint is missing as a whole, and the vertical bar hides a part in both views
    missing = np.isnan(table.keypoints)
    assert np.array_equal(missing[..., 0], missing[..., 1])
    assert np.array_equal(missing[:, :7, 0], missing[:, 7:, 0])
    visible = ~missing[:, :7, 0]
    assert visible.mean() > 0.9
    np.testing.assert_array_equal(table.keypoints[:, :7, 0][visible],
                                  table.keypoints[:, 7:, 0][visible])


def test_determinism(root, tmp_path_factory):
    again = toy.generate_toy_data(str(tmp_path_factory.mktemp('again')), seed=0)
    other = toy.generate_toy_data(str(tmp_path_factory.mktemp('other')), seed=1)
    files = sorted(osp.relpath(osp.join(d, f), root)
                   for d, _, names in os.walk(root) for f in names if not f.endswith('.mp4'))
    assert len(files) > 400
    for rel in files:
        with open(osp.join(root, rel), 'rb') as a, open(osp.join(again, rel), 'rb') as b:
            assert a.read() == b.read(), rel
    frames = [read_frames(osp.join(r, 'videos_test', 'session3.mp4'), range(0, 500, 7))
              for r in (root, again)]
    assert np.array_equal(frames[0], frames[1])
    for rel in ('labeled-data/session1/CollectedData.csv', 'ground_truth/session3.csv'):
        with open(osp.join(root, rel), 'rb') as a, open(osp.join(other, rel), 'rb') as b:
            assert a.read() != b.read(), rel


def test_ground_truth(ground_truth, occluded):
    assert ground_truth.keypoint_names == NAMES
    assert ground_truth.image_paths == [str(i) for i in range(500)]
    assert ground_truth.keypoints.shape == (500, 14, 2)
    assert not np.isnan(ground_truth.keypoints).any()
    assert list(occluded.columns) == NAMES and list(occluded.index) == list(range(500))
    assert set(np.unique(occluded.values)) <= {0, 1}


def test_test_labels_equal_ground_truth_except_occluded(root, ground_truth, occluded):
    test = read_dlc_csv(osp.join(root, 'labeled-data', 'session3', 'CollectedData_test.csv'))
    assert len(test) == 100 and test.keypoint_names == NAMES
    assert test.image_paths == [f'labeled-data/session3/img{f:05d}.png' for f in TEST_FRAMES]
    hidden = occluded.values[TEST_FRAMES].astype(bool)
    assert 0 < hidden.sum() < hidden.size
    assert np.array_equal(np.isnan(test.keypoints), np.stack([hidden, hidden], axis=-1))
    np.testing.assert_array_equal(test.keypoints[~hidden],
                                  ground_truth.keypoints[TEST_FRAMES][~hidden])


def test_multiview_structure(ground_truth):
    kp = ground_truth.keypoints
    views = np.concatenate([kp[:, :7], kp[:, 7:]], axis=-1).reshape(-1, 4)  # xt, yt, xb, yb
    np.testing.assert_array_equal(views[:, 0], views[:, 2])
    singular = np.linalg.svd(views - views.mean(axis=0), compute_uv=False)
    assert singular[3] < 1e-6 * singular[0]
    assert singular[2] > 0.1 * singular[0]  # genuinely 3-D, not a degenerate plane


def test_keypoints_stay_inside_their_view(ground_truth):
    kp = ground_truth.keypoints
    assert kp[..., 0].min() >= 4 and kp[..., 0].max() <= 155
    assert kp[:, :7, 1].min() >= 4 and kp[:, :7, 1].max() <= 75
    assert kp[:, 7:, 1].min() >= 84 and kp[:, 7:, 1].max() <= 155


def test_motion_is_smooth_but_moving(ground_truth):
    step = np.linalg.norm(np.diff(ground_truth.keypoints, axis=0), axis=-1)
    assert step.max() < 8.0
    assert step.mean() > 0.5
    travel = np.ptp(ground_truth.keypoints[:, 8, 0])  # head_bot x
    assert travel > 40


def test_occlusion(root, ground_truth, occluded):
    flags = occluded.values.astype(bool)
    assert np.array_equal(flags[:, :7], flags[:, 7:])  # a vertical bar hides both views
    assert 0.01 < flags.any(axis=1).mean() < 0.25
    # the bar is in view in 15-25 % of the video's frames
    video = read_frames(osp.join(root, 'videos_test', 'session3.mp4'), range(500))
    video = video.astype(np.float32)
    bar = np.float32(0.85) * np.array(toy.BAR_COLOUR, np.float32)
    column_is_bar = np.median(np.abs(video - bar).max(axis=-1), axis=1) < 15
    assert 0.15 <= column_is_bar.any(axis=1).mean() <= 0.25
    # an occluded keypoint's pixel shows the bar (in the rendered frame: compression blurs it)
    session = toy.simulate_session(toy.SESSIONS[2], seed=0, index=2)
    for f, img in enumerate(toy.render_session(session)):
        if flags[f].any():
            for x, y in ground_truth.keypoints[f][flags[f]]:
                pixel = img[int(np.floor(y + 0.5)), int(np.floor(x + 0.5))].astype(float)
                assert np.abs(pixel - bar).max() < 20


def test_videos_decode(root, meta):
    for name, length in SESSION_LENGTHS.items():
        info = video_info(osp.join(root, meta['videos'][name]))
        assert (info.num_frames, info.height, info.width) == (length, 160, 160)


def test_pngs_are_extracted_from_the_video(root):
    """PNGs hold the decoded video frames exactly (as DLC extracts them), which are
    compressed copies of the rendered frames."""
    session = toy.simulate_session(toy.SESSIONS[2], seed=0, index=2)
    rendered = [frame for _, frame in zip(range(100), toy.render_session(session))]
    video = read_frames(osp.join(root, 'videos_test', 'session3.mp4'), range(100))
    for f in range(100):  # every 5th frame and its +-2 neighbours
        png = read_png(osp.join(root, f'labeled-data/session3/img{f:05d}.png'))
        assert np.array_equal(png, video[f])
        assert np.abs(rendered[f].astype(float) - png).mean() < 8


def test_paws_are_drawn_in_distinct_colours(root, ground_truth, occluded):
    images = np.stack([read_png(osp.join(root, f'labeled-data/session3/img{f:05d}.png'))
                       for f in TEST_FRAMES]).astype(float)
    background = np.median(images, axis=0)
    paw_colours = 0.85 * np.array([toy.PAW_COLOURS[p] for p in toy.PAW_NAMES], float)
    differs, recognised, count = 0, 0, 0
    for i, f in enumerate(TEST_FRAMES):
        for view in (0, 7):
            for j in range(4):
                k = view + 2 + j  # paw_fl, paw_fr, paw_bl, paw_br
                if occluded.values[f, k]:
                    continue
                x, y = ground_truth.keypoints[f, k]
                r, c = int(np.floor(y + 0.5)), int(np.floor(x + 0.5))
                pixel = images[i, r, c]
                count += 1
                differs += np.abs(pixel - background[r, c]).sum() > 60
                recognised += np.argmin(np.abs(paw_colours - pixel).sum(axis=1)) == j
    assert count > 700
    assert differs / count > 0.95
    assert recognised / count > 0.8


def test_sessions_share_the_rig(root, ground_truth):
    labels = read_dlc_csv(osp.join(root, 'labeled-data', 'session1', 'CollectedData.csv'))
    mean = {name: np.mean([read_png(osp.join(root, p)).mean() for p in paths])
            for name, paths in (('session1', labels.image_paths[:20]),
                                ('session3', [f'labeled-data/session3/img{f:05d}.png'
                                              for f in TEST_FRAMES[:20]]))}
    assert 0.97 < mean['session3'] / mean['session1'] < 1.03  # same lighting and background

    def body_length(kp):  # head_bot to tailbase_bot: unaffected by the heading's foreshortening
        return np.nanmedian(np.linalg.norm(kp[:, 8] - kp[:, 13], axis=-1))

    assert 0.96 < body_length(ground_truth.keypoints) / body_length(labels.keypoints) < 1.04


def test_ensure_reuses_then_replaces(tmp_path, monkeypatch):
    root = str(tmp_path / 'toy')
    calls = []

    def fake_generate(path, seed):
        calls.append(seed)
        with open(osp.join(path, 'toy_meta.json'), 'w') as f:
            json.dump({'seed': seed, 'version': toy.TOY_VERSION}, f)
        return path

    monkeypatch.setattr(toy.project, 'generate_toy_data', fake_generate)
    assert toy.ensure_toy_data(root, seed=3) == root
    toy.ensure_toy_data(root, seed=3)
    assert calls == [3]  # up to date: not regenerated
    with open(osp.join(root, 'stale.txt'), 'w') as f:
        f.write('from seed 3')
    toy.ensure_toy_data(root, seed=4)
    assert calls == [3, 4]
    assert os.listdir(root) == ['toy_meta.json']  # the old project was replaced whole
    assert os.listdir(tmp_path) == ['toy']


def test_interrupted_generation_leaves_old_project(tmp_path, monkeypatch):
    root = str(tmp_path / 'toy')
    os.makedirs(root)
    with open(osp.join(root, 'toy_meta.json'), 'w') as f:
        json.dump({'seed': 1, 'version': toy.TOY_VERSION}, f)

    def interrupted(path, seed):
        with open(osp.join(path, 'half_written.csv'), 'w') as f:
            f.write('x')
        raise KeyboardInterrupt

    monkeypatch.setattr(toy.project, 'generate_toy_data', interrupted)
    with pytest.raises(KeyboardInterrupt):
        toy.ensure_toy_data(root, seed=0)
    assert os.listdir(tmp_path) == ['toy']
    assert os.listdir(root) == ['toy_meta.json']
