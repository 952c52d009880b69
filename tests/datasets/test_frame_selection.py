"""Frame extraction: k-means picks one frame per distinct scene; files are a labeled folder."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.datasets.frame_selection import kmeans, select_frames, write_labeled_folder
from posekit.datasets.io import read_dlc_csv


def test_kmeans_separates_well_apart_groups():
    rng = np.random.default_rng(1)
    groups = [rng.normal(centre, 0.01, size=(20, 3)) for centre in (0., 5., 10.)]
    labels, centres = kmeans(np.concatenate(groups), 3, seed=0)
    assert sorted(np.round(centres[:, 0]).astype(int)) == [0, 5, 10]
    assert [len(set(labels[i * 20:(i + 1) * 20])) for i in range(3)] == [1, 1, 1]
    assert len(set(labels)) == 3


@pytest.fixture
def video(tmp_path) -> Path:
    """60 frames of 32x24: three scenes (black, grey, white) of 20 frames each."""
    path = tmp_path / 'mouse1.mp4'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30, (32, 24))
    for value in [0] * 20 + [128] * 20 + [255] * 20:
        writer.write(np.full((24, 32, 3), value, np.uint8))
    writer.release()
    return path


def test_kmeans_picks_one_frame_per_scene_and_uniform_spreads(video):
    frames = select_frames(str(video), 3, 'kmeans', seed=0)
    assert [f // 20 for f in frames] == [0, 1, 2]
    assert select_frames(str(video), 4, 'uniform') == [0, 20, 39, 59]
    assert select_frames(str(video), 100, 'uniform') == list(range(60))


def test_labeled_folder_has_pngs_and_an_empty_csv_that_keeps_labels(video, tmp_path):
    project = tmp_path / 'project'
    csv = write_labeled_folder(str(video), [3, 45], str(project), ['nose', 'tail'], 'me')
    assert csv == str(project / 'labeled-data' / 'mouse1' / 'CollectedData_me.csv')
    image = cv2.imread(str(project / 'labeled-data' / 'mouse1' / 'img00045.png'))
    assert image.shape == (24, 32, 3) and abs(int(image.mean()) - 255) <= 8  # the white scene
    table = read_dlc_csv(csv)
    assert table.image_paths == ['labeled-data/mouse1/img00003.png',
                                 'labeled-data/mouse1/img00045.png']
    assert table.keypoint_names == ['nose', 'tail'] and np.isnan(table.keypoints).all()
    text = Path(csv).read_text().replace('labeled-data/mouse1/img00003.png,,,,',
                                         'labeled-data/mouse1/img00003.png,1,2,3,4')
    Path(csv).write_text(text)
    write_labeled_folder(str(video), [3, 10], str(project), ['nose', 'tail'], 'me')
    table = read_dlc_csv(csv)
    assert table.image_paths[-1] == 'labeled-data/mouse1/img00010.png' and len(table) == 3
    np.testing.assert_array_equal(table.keypoints[0], [[1, 2], [3, 4]])
    assert not list(project.rglob('*.tmp'))
