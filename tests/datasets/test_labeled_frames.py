import cv2
import numpy as np
import pytest

from posekit.datasets import LabeledFramesDataset, assign_splits, split_sizes
from posekit.datasets.io import write_dlc_csv

#: a valid 4x4 grey PNG (the datasets open every image's header)
TINY_PNG = cv2.imencode('.png', np.zeros((4, 4), np.uint8))[1].tobytes()


@pytest.fixture
def project(tmp_path):
    """A tiny DLC project: 20 labeled frames of 2 keypoints (images are empty files)."""
    images = [f'labeled-data/v/img{i:03d}.png' for i in range(20)]
    for image in images:
        (tmp_path / image).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / image).write_bytes(TINY_PNG)
    keypoints = np.arange(80, dtype=float).reshape(20, 2, 2)
    keypoints[3, 1] = np.nan
    write_dlc_csv(str(tmp_path / 'labeled-data/v/CollectedData.csv'), images, ['a', 'b'],
                  keypoints)
    return tmp_path


def test_split_sizes_follow_lightning_pose():
    assert split_sizes(90, 0.95, 0.05) == (85, 4, 1)
    assert split_sizes(10, 0.95, 0.05) == (8, 1, 1)  # at least one validation frame
    assert split_sizes(20, 0.8, 0.1) == (16, 2, 2)
    with pytest.raises(ValueError, match='sum to at most 1'):
        split_sizes(10, 0.9, 0.2)


def test_assign_splits_is_reproducible_and_subsamples_train():
    sets = assign_splits(20, 0.8, 0.1, seed=3)
    assert list(sets) == list(assign_splits(20, 0.8, 0.1, seed=3))
    assert list(sets) != list(assign_splits(20, 0.8, 0.1, seed=4))
    counts = {s: int((sets == s).sum()) for s in ('train', 'validation', 'test')}
    assert counts == {'train': 16, 'validation': 2, 'test': 2}
    fewer = assign_splits(20, 0.8, 0.1, train_frames=5, seed=3)
    assert int((fewer == 'train').sum()) == 5 and int((fewer == 'unused').sum()) == 11
    # validation and test frames do not move when train frames are subsampled
    assert list(np.flatnonzero(fewer == 'validation')) == list(np.flatnonzero(sets == 'validation'))
    half = assign_splits(20, 0.8, 0.1, train_frames=0.5, seed=3)
    assert int((half == 'train').sum()) == 8


def test_dataset_splits_partition_the_labels(project):
    kwargs = dict(ann_file='labeled-data/*/CollectedData.csv', data_root=str(project),
                  train_prob=0.8, val_prob=0.1, seed=1)
    parts = {s: LabeledFramesDataset(split=s, **kwargs) for s in ('train', 'validation', 'test')}
    assert [len(parts[s]) for s in ('train', 'validation', 'test')] == [16, 2, 2]
    images = [d.get_data_info(i)['image'] for d in parts.values() for i in range(len(d))]
    assert len(set(images)) == 20
    every = LabeledFramesDataset(split='all', **kwargs)
    assert len(every) == 20
    info = every.get_data_info(3)
    assert info['keypoints'].dtype == np.float32 and info['keypoints'].shape == (2, 2)
    assert info['keypoint_names'] == ['a', 'b']
    assert every.metainfo['num_keypoints'] == 2
    assert {every.get_data_info(i)['set'] for i in range(20)} == {'train', 'validation', 'test'}


def test_test_ann_file_rows_are_all_test(project):
    dataset = LabeledFramesDataset(ann_file='labeled-data/v/CollectedData.csv',
                                   test_ann_file='labeled-data/v/CollectedData.csv',
                                   data_root=str(project), split='test', train_prob=1.,
                                   val_prob=0.)
    assert len(dataset) == 20


def test_missing_image_names_file_and_row(project):
    (project / 'labeled-data/v/img004.png').unlink()
    with pytest.raises(FileNotFoundError,
                       match=r"CollectedData.csv, row 8: image 'labeled-data/v/img004.png' "
                             r'not found'):
        LabeledFramesDataset(ann_file='labeled-data/v/CollectedData.csv',
                             data_root=str(project))


def test_unknown_split():
    with pytest.raises(ValueError, match=r"unknown split\(s\) \['val'\]"):
        LabeledFramesDataset(ann_file='x.csv', split='val')
