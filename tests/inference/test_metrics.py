"""Temporal norm, PCA reconstruction errors and video metrics, in frame pixels."""
import numpy as np
import pytest
import torch

from posekit.apis import pca_error_tables, temporal_norm
from posekit.datasets.io import to_dataframe
from posekit.inference import video_metrics
from posekit.registry import LOSSES
from .conftest import NAMES


def test_temporal_norm_is_the_frame_to_frame_distance():
    keypoints = np.array([[[0., 0.], [1., 1.]],
                          [[3., 4.], [1., 1.]],
                          [[3., 4.], [np.nan, 1.]]])
    norms = temporal_norm(keypoints, ['a', 'b'])
    assert list(norms.columns) == ['a', 'b'] and list(norms.index) == [0, 1, 2]
    expected = np.array([[np.nan, np.nan], [5., 0.], [0., np.nan]])
    np.testing.assert_array_equal(norms.to_numpy(), expected)


def test_temporal_norm_of_a_dataframe_keeps_its_index():
    keypoints = np.random.default_rng(0).normal(size=(6, 3, 2)) * 10
    df = to_dataframe(range(10, 16), NAMES, keypoints, likelihood=np.ones((6, 3)))
    norms = temporal_norm(df)
    hand = np.sqrt(((keypoints[1:] - keypoints[:-1]) ** 2).sum(-1))
    np.testing.assert_allclose(norms.to_numpy()[1:], hand)
    assert list(norms.columns) == NAMES and list(norms.index) == list(range(10, 16))


class LossModel(torch.nn.Module):
    def __init__(self, losses, unsupervised_losses=()):
        super().__init__()
        self.losses = torch.nn.ModuleList(LOSSES.build(c) for c in losses)
        self.unsupervised_losses = torch.nn.ModuleList(LOSSES.build(c)
                                                       for c in unsupervised_losses)


def test_pca_error_tables_cover_the_loss_columns_only():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 2, 3)) * 10  # 2 body parts in 3-D, seen in 2 views
    views = [points @ rng.normal(size=(2, 3)).T + 50 for _ in range(2)]
    # keypoints: part0/view0, part1/view0, unused, part0/view1, part1/view1
    keypoints = np.stack([views[0][:, 0], views[0][:, 1], np.zeros((40, 2)),
                          views[1][:, 0], views[1][:, 1]], axis=1)
    model = LossModel([dict(type='HeatmapMSELoss')], [
        dict(type='PCASingleViewLoss', keypoints=[0, 1, 3], components_to_keep=2),
        dict(type='PCAMultiViewLoss', views=[[0, 1], [3, 4]])])
    unfitted = pca_error_tables(model, keypoints)
    assert unfitted == {}  # unfitted losses are skipped
    for loss in model.unsupervised_losses:
        loss.fit(keypoints)
    noisy = keypoints + rng.normal(size=keypoints.shape)
    tables = pca_error_tables(model, noisy, list('abcde'))
    assert set(tables) == {'pca_singleview_error', 'pca_multiview_error'}
    single, multi = tables['pca_singleview_error'], tables['pca_multiview_error']
    assert list(single.columns) == list('abcde') and len(single) == 40
    assert single[['c', 'e']].isna().all().all() and single[['a', 'b', 'd']].notna().all().all()
    np.testing.assert_allclose(
        single[['a', 'b', 'd']].to_numpy(),
        model.unsupervised_losses[0].reconstruction_error(noisy).double().numpy(), rtol=1e-6)
    # multi-view: every view's keypoint has its own error, the unused column is NaN
    assert multi['c'].isna().all() and multi[['a', 'b', 'd', 'e']].notna().all().all()
    np.testing.assert_allclose(
        multi[['a', 'b', 'd', 'e']].to_numpy(),
        model.unsupervised_losses[1].reconstruction_error(noisy).double().numpy(), rtol=1e-6)


def test_video_metrics_without_ground_truth():
    keypoints = np.zeros((4, 1, 2))
    keypoints[2:, 0, 0] = 30.
    metrics = video_metrics(keypoints)
    assert metrics == {'temporal_norm': 10., 'jumps_above_20px': pytest.approx(1 / 3)}
