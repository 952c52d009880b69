"""Multiview labeled frames and synchronised clips (one label file and video per view)."""
import cv2  # imported before decord: decord's bundled zlib breaks cv2's PNG reader otherwise
import numpy as np
import pytest
import torch

from posekit.datasets import (MultiviewLabeledFramesDataset, MultiviewVideoClipDataset,
                              group_session_videos)
from posekit.datasets.io import write_dlc_csv
from posekit.datasets.transforms import LoadFrame, PackPoseInputs, Resize

SIZES = {'top': (40, 24), 'side': (32, 48)}  # (W, H): the views differ in frame size
PIPELINE = [LoadFrame(), Resize(input_size=(16, 16)), PackPoseInputs()]
CLIP_PIPELINE = [dict(type='Resize', input_size=(16, 16)), dict(type='PackClipInputs')]


def view_keypoints(view, n=10):
    """(n, 2, 2) labels inside the frames: x = 2 i + k, y = i + 3 k (+ 5 in the side view)."""
    i, k = np.meshgrid(np.arange(n), np.arange(2), indexing='ij')
    offset = 5 if view == 'side' else 0
    return np.stack([2 * i + k + offset, i + 3 * k + offset], axis=-1).astype(float)


@pytest.fixture
def project(tmp_path):
    """10 instants seen by two views; keypoint 1 of instant 4 is unlabeled in the side view."""
    for view, (w, h) in SIZES.items():
        folder = tmp_path / 'labeled-data' / f'sess_{view}'
        folder.mkdir(parents=True)
        images = [f'labeled-data/sess_{view}/img{i:03d}.png' for i in range(10)]
        for i, image in enumerate(images):
            cv2.imwrite(str(tmp_path / image), np.full((h, w, 3), 10 * i, np.uint8))
        keypoints = view_keypoints(view)
        if view == 'side':
            keypoints[4, 1] = np.nan
        write_dlc_csv(str(tmp_path / f'CollectedData_{view}.csv'), images, ['a', 'b'],
                      keypoints)
    return tmp_path


def dataset(project, **kwargs):
    kwargs = dict(dict(view_names=['top', 'side'], data_root=str(project), pipeline=PIPELINE,
                       split='all'), **kwargs)
    return MultiviewLabeledFramesDataset(**kwargs)


def test_items_hold_all_views(project):
    data = dataset(project)
    assert len(data) == 10 and data.metainfo['view_names'] == ['top', 'side']
    info = data.get_data_info(4)
    assert info['keypoints'].shape == (2, 2, 2) and info['keypoints'].dtype == np.float32
    assert info['images'] == ['labeled-data/sess_top/img004.png',
                              'labeled-data/sess_side/img004.png']
    # missing in one view only
    assert np.isnan(info['keypoints'][1, 1]).all() and not np.isnan(info['keypoints'][0]).any()
    item = data[4]
    assert item['inputs'].shape == (2, 3, 16, 16) and item['inputs'].dtype == torch.uint8
    samples = item['data_samples']
    assert samples['view_names'] == ['top', 'side']
    assert samples['keypoints'].shape == (2, 2, 2)
    # Resize maps each view's own frame to 16 x 16: x' = (x + 0.5) * 16 / W - 0.5
    for v, (view, (w, h)) in enumerate(SIZES.items()):
        expected = view_keypoints(view)[4, 0]
        scale = np.array([16 / w, 16 / h])
        np.testing.assert_allclose(samples['keypoints'][v, 0].numpy(),
                                   (expected + 0.5) * scale - 0.5, atol=1e-5)
        np.testing.assert_allclose(samples['input_from_frame'][v].numpy(),
                                   [[16 / w, 0, 8 / w - 0.5], [0, 16 / h, 8 / h - 0.5],
                                    [0, 0, 1]], atol=1e-6)
    assert torch.isnan(samples['keypoints'][1, 1]).all()
    assert samples['img_path'][1].endswith('sess_side/img004.png')


def test_splits_are_shared_by_the_views(project):
    parts = {s: dataset(project, split=s, train_prob=0.8, val_prob=0.1, seed=2)
             for s in ('train', 'validation', 'test')}
    assert [len(p) for p in parts.values()] == [8, 1, 1]
    instants = sorted(int(d.get_data_info(i)['images'][0][-7:-4]) for d in parts.values()
                      for i in range(len(d)))
    assert instants == list(range(10))
    for d in parts.values():
        for i in range(len(d)):
            top, side = d.get_data_info(i)['images']
            assert top[-7:] == side[-7:]


def test_views_must_agree(project):
    images = [f'labeled-data/sess_side/img{i:03d}.png' for i in range(9)]
    write_dlc_csv(str(project / 'CollectedData_side.csv'), images, ['a', 'b'],
                  view_keypoints('side', 9))
    with pytest.raises(ValueError, match=r"CollectedData_side.csv'\] hold 9 rows but view "
                                         r"'top'.*hold 10"):
        dataset(project)
    write_dlc_csv(str(project / 'CollectedData_side.csv'), images + [images[0][:-7] + '009.png'],
                  ['a', 'c'], view_keypoints('side'))
    with pytest.raises(ValueError, match=r"keypoints \['a', 'c'\] differ from view 'top'"):
        dataset(project)
    with pytest.raises(ValueError, match='at least two distinct view_names'):
        dataset(project, view_names=['top'])
    with pytest.raises(FileNotFoundError, match='CollectedData_front.csv'):
        dataset(project, view_names=['top', 'front'])


def test_missing_image_names_file_and_row(project):
    (project / 'labeled-data/sess_side/img006.png').unlink()
    with pytest.raises(FileNotFoundError,
                       match=r"CollectedData_side.csv, row 10: image "
                             r"'labeled-data/sess_side/img006.png' not found"):
        dataset(project)


def test_different_sizes_need_a_resize(project):
    data = dataset(project, pipeline=[LoadFrame(), PackPoseInputs()])
    with pytest.raises(ValueError, match=r"inputs: the views' tensors differ in shape "
                                         r"\{'top': \(3, 24, 40\), 'side': \(3, 48, 32\)\}"):
        data[0]


def write_video(path, n_frames, size, offset):
    """Frame t is uniformly grey at level offset + 8 t."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30, size)
    for t in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), offset + 8 * t, np.uint8))
    writer.release()


@pytest.fixture
def videos(tmp_path):
    folder = tmp_path / 'videos'
    folder.mkdir()
    for session, n in (('s1', 20), ('s2', 12)):
        for view, offset in (('top', 0), ('side', 40)):
            write_video(folder / f'{session}_{view}.mp4', n, SIZES[view], offset)
    return folder


def test_clips_are_synchronised(videos):
    data = MultiviewVideoClipDataset(str(videos), ['top', 'side'], CLIP_PIPELINE,
                                     clip_length=5, seed=1)
    assert data.session_names == ['s1', 's2'] and len(data) == (20 + 12) // 5
    for index in range(len(data)):
        item = data[index]
        samples = item['data_samples']
        assert item['inputs'].shape == (2, 5, 3, 16, 16)
        assert samples['video'][0].endswith(f'{samples["session"]}_top.mp4')
        assert samples['video'][1].endswith(f'{samples["session"]}_side.mp4')
        frames = samples['frame_indices']
        assert torch.equal(frames[0], frames[1]) and (torch.diff(frames[0]) == 1).all()
        # the grey levels show the same instants: side = top + 40
        levels = item['inputs'].float().mean(dim=(2, 3, 4))
        np.testing.assert_allclose(levels[0].numpy(), 8 * frames[0].numpy(), atol=4)
        np.testing.assert_allclose(levels[1].numpy(), 40 + 8 * frames[0].numpy(), atol=4)
    again = MultiviewVideoClipDataset(str(videos), ['top', 'side'], CLIP_PIPELINE,
                                      clip_length=5, seed=1)
    assert torch.equal(again[2]['inputs'], data[2]['inputs'])


def test_unequal_frame_counts_name_the_videos(videos):
    write_video(videos / 's2_side.mp4', 11, SIZES['side'], 40)
    with pytest.raises(ValueError, match=r"session 's2': its views' videos differ in frame "
                                         r"count \{'.*s2_top.mp4': 12, '.*s2_side.mp4': 11\}"):
        MultiviewVideoClipDataset(str(videos), ['top', 'side'], CLIP_PIPELINE, clip_length=5)


def test_missing_view_video_names_the_session(videos):
    (videos / 's1_side.mp4').unlink()
    with pytest.raises(ValueError, match=r"session 's1' has no video of view\(s\) \['side'\]"):
        MultiviewVideoClipDataset(str(videos), ['top', 'side'], CLIP_PIPELINE, clip_length=5)


def test_group_session_videos_patterns():
    videos = ['/v/a_b_top.mp4', '/v/a_b_side.mp4', '/v/c_top.mp4', '/v/c_side.mp4']
    assert group_session_videos(videos, ['top', 'side']) == {
        'a_b': ['/v/a_b_top.mp4', '/v/a_b_side.mp4'], 'c': ['/v/c_top.mp4', '/v/c_side.mp4']}
    assert group_session_videos(['/v/top-x.avi', '/v/side-x.avi'], ['top', 'side'],
                                '{view}-{session}') == {'x': ['/v/top-x.avi', '/v/side-x.avi']}
    with pytest.raises(ValueError, match=r"video '/v/c_front.mp4' does not fit the pattern"):
        group_session_videos(['/v/c_front.mp4'], ['top', 'side'])
    with pytest.raises(ValueError, match='must contain'):
        group_session_videos(videos, ['top', 'side'], '{session}')
