"""Smoothers on tracks whose truth is known: a constant-velocity line with and without noise."""
import numpy as np
import pandas as pd
import pytest

from posekit.datasets.io import to_dataframe
from posekit.inference.ensemble import ensemble_statistics
from posekit.inference.smoothers import smooth_members, write_smoothed
from posekit.inference.smoothing import kalman_smooth, savgol_smooth

T = 200


def line(num_frames=T):
    """``(T, 2)``: x = 10 + 0.7 t, y = 50 - 0.3 t (constant velocity)."""
    t = np.arange(num_frames, dtype=float)
    return np.stack([10 + 0.7 * t, 50 - 0.3 * t], axis=1)


def members_of(truth, noise, num_members, seed=0, names=('nose', 'tail')):
    """DLC tables of ``num_members`` noisy copies of ``truth`` ``(T, K, 2)``."""
    rng = np.random.default_rng(seed)
    return [to_dataframe(range(len(truth)), list(names),
                         truth + rng.normal(0, noise, truth.shape),
                         likelihood=np.full(truth.shape[:2], 0.9), scorer=f'm{m}')
            for m in range(num_members)]


def test_kalman_and_savgol_reduce_the_noise_of_a_constant_velocity_track():
    truth = line()
    noisy = truth + np.random.default_rng(0).normal(0, 2, truth.shape)
    smoothed, variance, q = kalman_smooth(noisy)
    raw_error = np.abs(noisy - truth).mean()
    assert 1.5 < raw_error < 1.7                       # E|N(0, 2)| = 1.60
    assert np.abs(smoothed - truth).mean() < raw_error / 4
    assert np.abs(savgol_smooth(noisy, window=15) - truth).mean() < raw_error / 2
    assert q.shape == (2,) and (q < 0.1).all()         # a straight track: little process noise
    assert (variance > 0).all() and (variance < 4).all()   # below the noise variance


def test_kalman_bridges_a_gap_of_a_straight_track_exactly():
    truth = line()
    track = truth.copy()
    track[100:120] = np.nan    # a 20-frame gap
    track[:5] = np.nan         # and a missing start
    smoothed, variance, q = kalman_smooth(track, smooth_param=1.0)
    np.testing.assert_allclose(smoothed, truth, atol=1e-4)   # the line, inside the gap too
    assert q.tolist() == [1.0, 1.0]
    # the posterior variance grows into the gap and peaks in its middle
    gap = variance[100:120, 0]
    assert gap.argmax() in (9, 10) and gap.max() > 100 * variance[50, 0]
    assert variance[50, 0] < 1e-5


def test_savgol_fills_a_gap_linearly_and_keeps_a_line():
    truth = line()
    track = truth.copy()
    track[100:120] = np.nan
    np.testing.assert_allclose(savgol_smooth(track, window=7, order=2), truth, atol=1e-9)


def test_empty_coordinates_stay_nan():
    track = np.stack([line()[:, 0], np.full(T, np.nan)], axis=1)
    smoothed, variance, q = kalman_smooth(track)
    assert np.isfinite(smoothed[:, 0]).all() and np.isnan(smoothed[:, 1]).all()
    assert np.isnan(variance[:, 1]).all() and np.isnan(q[1])
    sg = savgol_smooth(track)
    assert np.isfinite(sg[:, 0]).all() and np.isnan(sg[:, 1]).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='window must be odd'):
        savgol_smooth(line(), window=6)
    with pytest.raises(ValueError, match='smooth_param must be positive, got 0'):
        kalman_smooth(line(), smooth_param=0)
    with pytest.raises(ValueError, match='unknown smoother'):
        smooth_members(members_of(line()[:, None], 1, 2, names=('nose',)), method='spline')


def test_ensemble_statistics_are_exact():
    names = ['nose']
    a = to_dataframe(range(2), names, np.array([[[0., 0.]], [[1., 1.]]]),
                     likelihood=np.array([[0.2], [0.4]]))
    b = to_dataframe(range(2), names, np.array([[[2., 4.]], [[1., np.nan]]]),
                     likelihood=np.array([[0.6], [0.8]]))
    c = to_dataframe(range(2), names, np.array([[[4., 8.]], [[np.nan, np.nan]]]),
                     likelihood=np.array([[1.0], [np.nan]]))
    stats = ensemble_statistics([a, b, c])
    np.testing.assert_allclose(stats['mean'].to_numpy(), [[2., 4., 0.6], [1., 1., 0.6]])
    np.testing.assert_allclose(stats['median'].to_numpy(), [[2., 4., 0.6], [1., 1., 0.6]])
    # frame 0: var(0, 2, 4) + var(0, 4, 8) = 8/3 + 32/3; frame 1: var(1, 1) + var(1) = 0
    np.testing.assert_allclose(stats['variance'].to_numpy(), [[40 / 3], [0.]])
    assert list(stats['variance'].columns) == names


def test_eks_on_one_model_falls_back_to_kalman_named_as_such(tmp_path):
    truth = np.repeat(line()[:, None], 2, axis=1)
    smoothed = smooth_members(members_of(truth, 2, 1), method='eks')
    assert smoothed.method == 'kalman'
    path = write_smoothed(smoothed, str(tmp_path), 'clip')
    assert path == str(tmp_path / 'clip_kalman.csv')
    table = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    assert list(table.columns[:9].get_level_values(2)) == [
        'x', 'y', 'likelihood', 'x_ens_median', 'y_ens_median', 'x_ens_var', 'y_ens_var',
        'x_posterior_var', 'y_posterior_var']
    assert set(table.columns.get_level_values(0)) == {'kalman'}
    x = table.xs('x', axis=1, level=2).to_numpy()
    assert np.abs(x - truth[..., 0]).mean() < 0.5


def test_kalman_of_an_ensemble_beats_its_median():
    truth = np.repeat(line()[:, None], 2, axis=1)
    members = members_of(truth, 2, 3)
    smoothed = smooth_members(members, method='kalman')
    median = smoothed.table.xs('x_ens_median', axis=1, level=2).to_numpy()
    x = smoothed.table.xs('x', axis=1, level=2).to_numpy()
    assert np.abs(x - truth[..., 0]).mean() < 0.6 * np.abs(median - truth[..., 0]).mean()


@pytest.mark.slow
def test_eks_single_and_multiview_beat_the_ensemble_median():
    pytest.importorskip('eks', reason="the 'eks' extra (pip install 'posekit[eks]') is not "
                                      'installed')
    truth = np.repeat(line()[:, None], 3, axis=1)
    truth[:, 1] += 100.   # 'paw_top' / 'paw_bot': one body part in two views
    truth[:, 2] += (30., 60.)
    names = ('nose', 'paw_top', 'paw_bot')
    members = members_of(truth, 2, 3, names=names)
    for views in (None, dict(top=['paw_top'], bottom=['paw_bot'])):
        smoothed = smooth_members(members, method='eks', views=views)
        assert smoothed.method == 'eks'
        assert set(smoothed.table.columns.get_level_values(0)) == {'eks'}
        assert len(smoothed.params) == (3 if views is None else 2)
        for coord in 'xy':
            value = smoothed.table.xs(coord, axis=1, level=2).to_numpy()
            median = smoothed.table.xs(f'{coord}_ens_median', axis=1, level=2).to_numpy()
            target = truth[..., 'xy'.index(coord)]
            assert np.abs(value - target).mean() < 0.75 * np.abs(median - target).mean()
        assert (smoothed.table.xs('x_posterior_var', axis=1, level=2).to_numpy() > 0).all()
