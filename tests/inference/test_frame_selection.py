"""Picking frames to label: ranking, gaps, spreading over videos, and the label-file rows."""
import numpy as np
import pandas as pd
import pytest

from posekit.datasets.io import read_dlc_csv, to_dataframe
from posekit.inference.frame_selection import Pick, frame_scores, pick_frames
from posekit.inference.label_queue import append_empty_rows, labeled_frames


def test_picks_follow_the_score_with_gaps():
    scores = {'a': np.array([0., 9., 8., 7., 1., 6., np.nan, 5.])}
    expected = [Pick('a', 1, 9.), Pick('a', 3, 7.), Pick('a', 5, 6.)]
    assert pick_frames(scores, 3, min_gap=2) == expected
    # frames 2, 3 are too close to 1; then 5; 7 and 4 too close to 5; 0 to 1
    assert pick_frames(scores, 10, min_gap=3) == [Pick('a', 1, 9.), Pick('a', 5, 6.)]
    # labeled frames and their neighbours are skipped
    assert pick_frames(scores, 2, min_gap=2, exclude={'a': [2]})[0] == Pick('a', 5, 6.)


def test_picks_spread_over_videos_then_fill_up():
    scores = {'a': np.array([9., 0., 8., 0., 7.]), 'b': np.array([1., 0., 0.])}
    picks = pick_frames(scores, 3, min_gap=2)
    assert picks == [Pick('a', 0, 9.), Pick('a', 2, 8.), Pick('b', 0, 1.)]  # quota 2 per video
    # n=4: quota 2 each, so b's weak frame 2 comes before a's frame 4; n=5 fills up with it
    assert pick_frames(scores, 4, min_gap=2) == picks + [Pick('b', 2, 0.)]
    assert pick_frames(scores, 5, min_gap=2) == picks[:2] + [Pick('a', 4, 7.), picks[2],
                                                             Pick('b', 2, 0.)]


def test_scores_of_each_signal(tmp_path):
    names = ['nose', 'tail']
    pd.DataFrame([[1., 3.], [np.nan, np.nan], [2., np.nan]], columns=names).to_csv(
        tmp_path / 'v_ensemble_variance.csv')
    pd.DataFrame([[np.nan, np.nan], [4., 6.], [0., 0.]], columns=names).to_csv(
        tmp_path / 'v_temporal_norm.csv')
    to_dataframe(range(3), names, np.zeros((3, 2, 2)),
                 likelihood=np.array([[1., 0.5], [0.2, 0.2], [np.nan, 0.]])).to_csv(
        tmp_path / 'v.csv')
    np.testing.assert_allclose(frame_scores(str(tmp_path), 'ensemble_var')['v'],
                               [2., np.nan, 2.])
    np.testing.assert_allclose(frame_scores(str(tmp_path), 'temporal')['v'], [np.nan, 5., 0.])
    np.testing.assert_allclose(frame_scores(str(tmp_path), 'confidence')['v'],
                               [0.25, 0.8, 1.])
    with pytest.raises(FileNotFoundError, match="no predictions with a 'pca' signal"):
        frame_scores(str(tmp_path), 'pca')


def test_append_empty_rows_keeps_existing_lines(tmp_path):
    labels = tmp_path / 'CollectedData.csv'
    to_dataframe(['labeled-data/v/img00000003.png'], ['nose'], np.array([[[1., 2.]]]),
                 scorer='me').to_csv(labels)
    before = labels.read_text()
    added = append_empty_rows(str(labels), ['labeled-data/v/img00000003.png',
                                            'labeled-data/v/img00000010.png'], ['x'])
    assert added == 1
    assert labels.read_text() == before + 'labeled-data/v/img00000010.png,,\n'
    table = read_dlc_csv(str(labels))
    assert table.scorer == 'me' and table.keypoint_names == ['nose']
    assert np.isnan(table.keypoints[1]).all()
    assert labeled_frames(str(labels)) == {'v': {3, 10}}


def test_append_creates_a_label_file(tmp_path):
    labels = tmp_path / 'new' / 'CollectedData.csv'
    assert append_empty_rows(str(labels), ['labeled-data/v/img00000001.png'],
                             ['nose', 'tail'], 'posekit') == 1
    assert labels.read_text() == ('scorer,posekit,posekit,posekit,posekit\n'
                                  'bodyparts,nose,nose,tail,tail\n'
                                  'coords,x,y,x,y\n'
                                  'labeled-data/v/img00000001.png,,,,\n')
    assert not list(labels.parent.glob('*.tmp'))
