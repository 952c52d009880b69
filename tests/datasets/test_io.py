import numpy as np
import pandas as pd
import pytest

from posekit.datasets.io import (LabelFileError, find_label_files, read_dlc_csv,
                                 read_keypoint_names, read_label_files, write_dlc_csv)


def write(path, text):
    path.write_text(text)
    return str(path)


def test_round_trip_with_nan_and_visible(tmp_path):
    keypoints = np.array([[[1.5, 2.25], [np.nan, np.nan]], [[3., 4.], [5., 6.]]])
    visible = np.array([[1., 0.], [1., 1.]])
    path = str(tmp_path / 'labels.csv')
    write_dlc_csv(path, ['labeled-data/a/img1.png', 'labeled-data/a/img2.png'],
                  ['nose', 'tail'], keypoints, visible=visible, scorer='me')
    table = read_dlc_csv(path)
    assert table.keypoint_names == ['nose', 'tail']
    assert table.image_paths == ['labeled-data/a/img1.png', 'labeled-data/a/img2.png']
    assert table.scorer == 'me'
    np.testing.assert_array_equal(table.keypoints, keypoints)
    np.testing.assert_array_equal(table.visible, visible)
    # pandas reads it the way DLC tools do
    df = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    assert df.shape == (2, 6)
    assert df.loc['labeled-data/a/img1.png', ('me', 'nose', 'y')] == 2.25


def test_predictions_have_likelihood_and_set_column(tmp_path):
    path = str(tmp_path / 'preds.csv')
    write_dlc_csv(path, ['a.png'], ['nose'], np.array([[[1., 2.]]]),
                  likelihood=np.array([[0.5]]), extra={'set': ['train']})
    df = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    assert list(df.columns.get_level_values(2)[:3]) == ['x', 'y', 'likelihood']
    assert df.iloc[0, 3] == 'train'
    table = read_dlc_csv(path)
    assert table.likelihood[0, 0] == 0.5
    np.testing.assert_array_equal(table.keypoints, [[[1., 2.]]])


def test_three_column_dlc_index(tmp_path):
    path = write(tmp_path / 'CollectedData_me.csv',
                 'scorer,,,me,me\nbodyparts,,,nose,nose\ncoords,,,x,y\n'
                 'labeled-data,vid1,img001.png,10,20\nlabeled-data,vid1,img002.png,,\n')
    table = read_dlc_csv(path)
    assert table.image_paths == ['labeled-data/vid1/img001.png', 'labeled-data/vid1/img002.png']
    assert table.keypoints[0].tolist() == [[10., 20.]]
    assert np.isnan(table.keypoints[1]).all()
    assert read_keypoint_names(path) == ['nose']


def test_dlc_project_folder_reads_every_collected_data_file(tmp_path):
    for video, x in (('v1', 1), ('v2', 2)):
        folder = tmp_path / 'labeled-data' / video
        folder.mkdir(parents=True)
        write(folder / 'CollectedData_me.csv',
              f'scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\nlabeled-data/{video}/a.png,{x},0\n')
    paths = find_label_files(str(tmp_path))
    assert [p.split('/')[-2] for p in paths] == ['v1', 'v2']
    table = read_label_files(paths)
    assert table.keypoints[:, 0, 0].tolist() == [1., 2.]
    assert table.sources == paths


def test_missing_header_rows(tmp_path):
    path = write(tmp_path / 'bad.csv', 'bodyparts,nose,nose\ncoords,x,y\na.png,1,2\n')
    with pytest.raises(LabelFileError, match=r"bad.csv: row 1 must start with 'scorer'"):
        read_dlc_csv(path)


def test_columns_not_in_xy_pairs(tmp_path):
    path = write(tmp_path / 'bad.csv',
                 'scorer,me,me,me\nbodyparts,nose,nose,tail\ncoords,x,y,x\na.png,1,2,3\n')
    with pytest.raises(LabelFileError, match=r"bad.csv: keypoint columns must come in x/y pairs; "
                                             r"column 4 \(bodypart 'tail'"):
        read_dlc_csv(path)


def test_non_numeric_coordinate_names_row_and_column(tmp_path):
    path = write(tmp_path / 'bad.csv',
                 'scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\na.png,1,2\nb.png,3,oops\n')
    with pytest.raises(LabelFileError,
                       match=r"bad.csv: row 5, bodypart 'nose', coord 'y': 'oops' is not a number"):
        read_dlc_csv(path)


def test_files_with_different_keypoints_are_refused(tmp_path):
    a = write(tmp_path / 'a.csv', 'scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\na.png,1,2\n')
    b = write(tmp_path / 'b.csv', 'scorer,me,me\nbodyparts,tail,tail\ncoords,x,y\nb.png,1,2\n')
    with pytest.raises(LabelFileError, match=r"b.csv: bodyparts \['tail'\] differ"):
        read_label_files([a, b])


def test_unmatched_glob(tmp_path):
    with pytest.raises(FileNotFoundError, match='no label file matches'):
        find_label_files('nothing/*.csv', str(tmp_path))


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'keep.csv'
    path.write_text('old')

    def fail_half_way(self, f):
        f.write('partial')
        raise OSError('disk full')

    monkeypatch.setattr(pd.DataFrame, 'to_csv', fail_half_way)
    with pytest.raises(OSError, match='disk full'):
        write_dlc_csv(str(path), ['a'], ['nose'], np.zeros((1, 1, 2)))
    assert path.read_text() == 'old'
    assert [p.name for p in tmp_path.iterdir()] == ['keep.csv']
