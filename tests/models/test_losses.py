"""Temporal, unimodal, PCA and regression losses against hand-computed values."""
import math

import numpy as np
import pytest
import torch

from posekit.codecs import HeatmapCodec, RegressionCodec, gaussian_heatmaps
from posekit.datasets.metainfo import build_metainfo
from posekit.models.losses.pca import pairwise_covariance
from posekit.registry import LOSSES, MODELS

NAN = float('nan')


def build(type_, **kwargs):
    return LOSSES.build(dict(type=type_, **kwargs))


def tensor(values, grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


# -- temporal --------------------------------------------------------------------------------
def clip():
    """(T=3, K=2, 2): keypoint 0 moves 5 px then rests, keypoint 1 moves 1 px then 2 px."""
    return tensor([[[0., 0.], [0., 0.]],
                   [[3., 4.], [0., 1.]],
                   [[3., 4.], [0., 3.]]], grad=True)


def temporal(keypoints, confidences=None, **kwargs):
    confidences = torch.ones(keypoints.shape[:2]) if confidences is None else confidences
    return build('TemporalLoss', **kwargs)(dict(keypoints_pred=keypoints,
                                                confidences=confidences))


def test_temporal_loss_is_mean_frame_to_frame_distance():
    keypoints = clip()
    value, logs = temporal(keypoints)
    assert value.item() == pytest.approx((5 + 1 + 0 + 2) / 4)
    assert logs['train/temporal'].item() == pytest.approx(2.)
    value.backward()
    assert torch.isfinite(keypoints.grad).all()  # the resting pair has zero distance
    # d/dp of |p1 - p0| / 4 for keypoint 0 at t=0: -(3, 4) / 5 / 4
    assert keypoints.grad[0, 0].tolist() == pytest.approx([-0.15, -0.2])


def test_temporal_epsilon_scalar_and_per_keypoint():
    assert temporal(clip(), epsilon=1.5)[0].item() == pytest.approx((3.5 + 0 + 0 + 0.5) / 4)
    assert temporal(clip(), epsilon=[4., 0.5])[0].item() == pytest.approx((1 + 0.5 + 0 + 1.5) / 4)


def test_temporal_low_confidence_pairs_count_as_zero_but_stay_in_the_mean():
    confidences = torch.tensor([[0.9, 0.9], [0.1, 0.9], [0.9, 0.9]])
    value, _ = temporal(clip(), confidences, prob_threshold=0.5)
    assert value.item() == pytest.approx((0 + 1 + 0 + 2) / 4)


def test_temporal_without_confidences_masks_nothing():
    loss = build('TemporalLoss', prob_threshold=0.5)
    distance, valid = loss.compute(clip())  # e.g. a regression model: no confidences
    torch.testing.assert_close(distance, tensor([[5., 1.], [0., 2.]]))
    assert valid.all()


def test_temporal_nan_prediction_excludes_its_pairs():
    keypoints = clip().detach()
    keypoints[2, 1] = NAN
    keypoints.requires_grad_()
    value, _ = temporal(keypoints)
    assert value.item() == pytest.approx((5 + 1 + 0) / 3)
    value.backward()
    assert torch.isfinite(keypoints.grad).all() and keypoints.grad[2, 1].abs().sum() == 0


def test_temporal_reductions_and_weights():
    assert temporal(clip(), reduction='sum')[0].item() == pytest.approx(8.)
    torch.testing.assert_close(temporal(clip(), reduction='none')[0],
                               tensor([[5., 1.], [0., 2.]]))
    assert temporal(clip(), loss_weight=3.)[0].item() == pytest.approx(6.)
    value, logs = temporal(clip(), log_weight=0.5)
    assert value.item() == pytest.approx(2. / (2 * math.exp(0.5)))
    assert logs['train/temporal'].item() == pytest.approx(2.)
    assert logs['train/temporal_weight'].item() == pytest.approx(1 / (2 * math.exp(0.5)))


def test_temporal_loss_reads_overridden_keys():
    loss = build('TemporalLoss', data_info=dict(keypoints='keypoints_pred_sf'))
    value, _ = loss(dict(keypoints_pred_sf=clip(), confidences=torch.ones(3, 2)))
    assert value.item() == pytest.approx(2.)


def heatmap_clip():
    """(T=2, K=1, 1, 2): [0.5, 0.5] then [0.25, 0.75]."""
    return tensor([[[[0.5, 0.5]]], [[[0.25, 0.75]]]], grad=True)


def test_temporal_heatmap_mse_and_kl():
    heatmaps, confidences = heatmap_clip(), torch.ones(2, 1)
    mse = build('TemporalHeatmapLoss', kind='mse')
    value, logs = mse(dict(heatmaps_pred=heatmaps, confidences=confidences))
    assert value.item() == pytest.approx(2 * 0.25 ** 2)  # sum over the 2 pixels
    assert set(logs) == {'train/temporal_heatmap_mse', 'train/temporal_heatmap_mse_weight'}
    value.backward()
    assert heatmaps.grad[1, 0, 0].tolist() == pytest.approx([-0.5, 0.5])
    kl = build('TemporalHeatmapLoss', kind='kl')
    value, _ = kl(dict(heatmaps_pred=heatmap_clip(), confidences=confidences))
    # KL(h_0 || h_1), averaged over the 2 pixels
    expected = (0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-6)
    assert kl.name == 'temporal_heatmap_kl'


def test_temporal_heatmap_confidence_masking_and_kind_check():
    loss = build('TemporalHeatmapLoss', kind='mse', prob_threshold=0.5)
    value, _ = loss(dict(heatmaps_pred=heatmap_clip(), confidences=torch.tensor([[1.], [0.2]])))
    assert value.item() == 0
    with pytest.raises(ValueError, match="kind must be 'mse' or 'kl'"):
        build('TemporalHeatmapLoss', kind='js')


# -- unimodal --------------------------------------------------------------------------------
def test_gaussian_heatmaps_match_the_codec_targets():
    keypoints = np.array([[13.3, 20.9], [0., 63.]], np.float32)  # input px, 64x64 image
    rendered = HeatmapCodec((64, 64), stride=4, sigma=1.25).encode(keypoints)['heatmaps']
    centres = (torch.from_numpy(keypoints).double() + 0.5) / 4 - 0.5
    ours = gaussian_heatmaps(centres[None], 16, 16, 1.25)[0]
    torch.testing.assert_close(ours.float(), torch.from_numpy(rendered), atol=1e-7, rtol=1e-5)


def unimodal(**kwargs):
    """A unimodal loss bound to a stride-4, sigma-1 codec (the tracker binds its own)."""
    loss = build('UnimodalHeatmapLoss', **kwargs)
    loss.bind(HeatmapCodec((12, 4), stride=4, sigma=1.), None)
    return loss


def test_unimodal_needs_a_heatmap_codec():
    loss = build('UnimodalHeatmapLoss')
    with pytest.raises(RuntimeError, match='has no codec: build it inside a PoseTracker'):
        loss(unimodal_inputs([0., 1., 0.]))
    with pytest.raises(TypeError, match="model's codec must be a HeatmapCodec"):
        loss.bind(RegressionCodec((12, 4)), None)


def unimodal_inputs(pred):
    # keypoint at input px (5.5, 1.5) = heatmap px (1, 0) with stride 4; map of 1x3 pixels
    heatmaps = tensor([[[pred]]], grad=True)
    keypoints = tensor([[[5.5, 1.5]]], grad=True)
    return dict(heatmaps_pred=heatmaps, keypoints_pred_augmented=keypoints)


def test_unimodal_mse_against_a_gaussian_at_the_own_keypoint():
    outputs = unimodal_inputs([0., 1., 0.])
    loss = unimodal(kind='mse')
    value, logs = loss(outputs)
    a = math.exp(-0.5)
    target = [a / (1 + 2 * a), 1 / (1 + 2 * a), a / (1 + 2 * a)]
    assert value.item() == pytest.approx(target[0] ** 2 * 2 + (target[1] - 1) ** 2)
    assert 'train/unimodal_mse' in logs
    value.backward()
    assert outputs['heatmaps_pred'].grad.abs().sum() > 0
    assert outputs['keypoints_pred_augmented'].grad is None  # the target is detached


@pytest.mark.parametrize('kind', ['kl', 'js'])
def test_unimodal_divergences(kind):
    pred = [0.2, 0.6, 0.2]
    a = math.exp(-0.5)
    t = [a / (1 + 2 * a), 1 / (1 + 2 * a), a / (1 + 2 * a)]
    if kind == 'kl':
        expected = sum(ti * math.log(ti / pi) for ti, pi in zip(t, pred)) / 3
    else:
        m = [(ti + pi) / 2 for ti, pi in zip(t, pred)]
        expected = sum(0.5 * ti * math.log(ti / mi) + 0.5 * pi * math.log(pi / mi)
                       for ti, pi, mi in zip(t, pred, m)) / 3
    loss = unimodal(kind=kind)
    assert loss.name == f'unimodal_{kind}'
    assert loss(unimodal_inputs(pred))[0].item() == pytest.approx(expected, rel=1e-6)


def test_unimodal_nan_keypoint_is_excluded():
    outputs = unimodal_inputs([0., 1., 0.])
    outputs['keypoints_pred_augmented'] = tensor([[[NAN, NAN]]])
    value, _ = unimodal()(outputs)
    value.backward()
    assert value.item() == 0 and torch.isfinite(outputs['heatmaps_pred'].grad).all()


# -- regression ------------------------------------------------------------------------------
def regression_inputs():
    pred = tensor([[[0., 0.], [1., 1.], [5., 5.]]], grad=True)
    target = tensor([[[3., 4.], [1., 1.], [NAN, NAN]]])  # last keypoint unlabeled
    return dict(keypoints_pred=pred, keypoints_targ=target)


def test_regression_mse_is_squared_distance_over_labeled_keypoints():
    outputs = regression_inputs()
    value, logs = build('RegressionMSELoss')(outputs)
    assert value.item() == pytest.approx((25 + 0) / 2)
    assert logs['train/regression_mse'].item() == pytest.approx(12.5)
    value.backward()
    grad = outputs['keypoints_pred'].grad
    assert grad[0, 0].tolist() == pytest.approx([-3., -4.])  # 2 (p - t) / 2
    assert grad[0, 2].abs().sum() == 0 and torch.isfinite(grad).all()


def test_regression_rmse_is_pixel_distance():
    outputs = regression_inputs()
    loss = build('RegressionRMSELoss')
    value, _ = loss(outputs)
    assert value.item() == pytest.approx(2.5)
    value.backward()
    assert torch.isfinite(outputs['keypoints_pred'].grad).all()  # zero distance: finite
    assert build('RegressionRMSELoss', epsilon=[1., 1., 1.])(regression_inputs())[0].item() \
        == pytest.approx((4 + 0) / 2)
    assert build('RegressionRMSELoss', reduction='sum', loss_weight=2.)(
        regression_inputs())[0].item() == pytest.approx(10.)


def test_regression_all_unlabeled_batch_gives_zero_with_gradient_path():
    outputs = regression_inputs()
    outputs['keypoints_targ'] = torch.full_like(outputs['keypoints_targ'], NAN)
    for type_ in ('RegressionMSELoss', 'RegressionRMSELoss'):
        value, _ = build(type_)(outputs)
        assert value.item() == 0 and value.requires_grad
        value.backward()
        assert (outputs['keypoints_pred'].grad == 0).all()


# -- PCA -------------------------------------------------------------------------------------
def two_view_points(rng, n_frames=50, n_parts=5):
    """(N, 2 * n_parts, 2) frame px: random 3-D points seen through two random affine
    projections; view 0 is keypoints 0..n_parts-1, view 1 the rest."""
    points = rng.normal(size=(n_frames, n_parts, 3)) * 30
    views = [points @ rng.normal(size=(2, 3)).T + rng.uniform(50, 300, size=2)
             for _ in range(2)]
    return np.concatenate(views, axis=1).astype(np.float32)


MULTIVIEW = dict(type='PCAMultiViewLoss', views=[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])


def test_multiview_reconstructs_3d_structure_exactly():
    keypoints = two_view_points(np.random.default_rng(0))
    loss = LOSSES.build(MULTIVIEW)
    info = loss.fit(keypoints)
    assert info['components'] == 3 and info['dim'] == 4 and info['rows'] == 250
    assert info['variance_explained'] == pytest.approx(1.)
    errors = loss.reconstruction_error(keypoints)
    assert errors.shape == (50, 10) and errors.abs().max() < 1e-4
    # moving keypoint 7 (view 1, body part 2) of frame 0 breaks only body part 2 of frame 0,
    # whose errors are columns 2 (view 0) and 7 (view 1) of the view-major output
    moved = keypoints.copy()
    moved[0, 7] += 10.
    errors = loss.reconstruction_error(moved)
    assert errors[0, 2] > 0.1 and errors[0, 7] > 0.1
    errors[0, [2, 7]] = 0
    assert errors.abs().max() < 1e-4
    assert loss.keypoint_indices == list(range(10))


def hadamard_design():
    """8 frames of 2 keypoints whose 4 coordinates have variances ∝ 100, 9, 1, 0.01."""
    h = np.array([[1, 1], [1, -1]])
    h8 = np.kron(np.kron(h, h), h)[:, 1:5].astype(np.float64)  # orthogonal, zero-mean columns
    coords = h8 * [10., 3., 1., 0.1] + [100., 50., 0., 0.]
    return coords.reshape(8, 2, 2)


@pytest.mark.parametrize('keep, expected', [(0.9, 1), (0.99, 2), (0.999, 3), (1.0, 4), (4, 4)])
def test_singleview_variance_fraction_picks_fewest_components(keep, expected):
    loss = build('PCASingleViewLoss', components_to_keep=keep)
    info = loss.fit(hadamard_design())
    assert info['components'] == expected
    variances = [100., 9., 1., 0.01]
    assert info['variance_explained'] == pytest.approx(sum(variances[:expected]) / 110.01)
    torch.testing.assert_close(loss.components.abs(), torch.eye(4)[:, :expected])
    torch.testing.assert_close(loss.mean, torch.tensor([100., 50., 0., 0.]))


def test_bad_components_and_columns():
    with pytest.raises(ValueError, match='components_to_keep must be a positive int'):
        build('PCASingleViewLoss', components_to_keep=1.5)
    with pytest.raises(ValueError, match='components_to_keep=5 exceeds the dimension 4'):
        build('PCASingleViewLoss', components_to_keep=5).fit(hadamard_design())
    with pytest.raises(ValueError, match='at least two views of equal length'):
        build('PCAMultiViewLoss', views=[[0, 1], [2]])


def numpy_pca_errors(rows, k):
    """Per-pair reconstruction errors of complete rows, by plain numpy PCA."""
    mean = rows.mean(0)
    values, vectors = np.linalg.eigh(np.cov(rows.T))
    basis = vectors[:, ::-1][:, :k]
    residual = (rows - mean) - (rows - mean) @ basis @ basis.T
    return np.linalg.norm(residual.reshape(len(rows), -1, 2), axis=-1)


def test_empirical_epsilon_is_a_percentile_of_training_errors():
    rng = np.random.default_rng(1)
    keypoints = rng.normal(size=(40, 4, 2)) * [20., 5.] + 100
    loss = build('PCASingleViewLoss', components_to_keep=2)
    loss.fit(keypoints)
    errors = numpy_pca_errors(keypoints.reshape(40, 8), 2)
    assert loss.epsilon.item() == pytest.approx(np.percentile(errors, 99), rel=1e-5)
    ours = loss.reconstruction_error(keypoints).numpy()
    assert loss.epsilon.item() == pytest.approx(np.percentile(ours, 99), rel=1e-4)
    median = build('PCASingleViewLoss', components_to_keep=2, epsilon_percentile=50,
                   epsilon_multiplier=2.)
    median.fit(keypoints)
    assert median.epsilon.item() == pytest.approx(2 * np.median(errors), rel=1e-5)
    fixed = build('PCASingleViewLoss', components_to_keep=2, epsilon=[1., 2., 3., 4.])
    fixed.fit(keypoints)
    assert fixed.epsilon.tolist() == [1., 2., 3., 4.]


def test_pairwise_covariance_uses_rows_where_both_are_present():
    rows = torch.tensor([[1., 2.], [3., NAN], [5., 6.], [NAN, 4.]], dtype=torch.float64)
    mean = rows.nanmean(0)  # (3, 4)
    # var0 from rows 0-2: (4 + 0 + 4) / 2; var1 from rows 0, 2, 3: (4 + 4 + 0) / 2;
    # cov01 from rows 0 and 2: ((-2)(-2) + (2)(2)) / 1
    assert pairwise_covariance(rows, mean).tolist() == [[4., 8.], [8., 4.]]


def test_fit_tolerates_nan_and_epsilon_uses_complete_rows_only():
    rng = np.random.default_rng(2)
    keypoints = rng.normal(size=(30, 3, 2)) * 10 + 50
    keypoints[:4, 1] = NAN  # 4 frames miss keypoint 1
    loss = build('PCASingleViewLoss', components_to_keep=3)
    info = loss.fit(keypoints)
    assert info['rows'] == 30 and info['complete_rows'] == 26
    mean = np.nanmean(keypoints.reshape(30, 6), 0)
    torch.testing.assert_close(loss.mean, torch.tensor(mean, dtype=torch.float32))
    errors = loss.reconstruction_error(keypoints).numpy()
    assert np.isnan(errors[:4]).all() and not np.isnan(errors[4:]).any()
    assert loss.epsilon.item() == pytest.approx(np.percentile(errors[4:], 99), rel=1e-4)


def test_too_few_complete_rows_fail_with_the_counts():
    keypoints = hadamard_design()[:5].copy()
    keypoints[:2, 0, 0] = NAN  # 3 complete rows for 4 dimensions
    with pytest.raises(ValueError, match=r"PCASingleViewLoss \('pca_singleview'\): cannot fit "
                                         r'PCA with 3 complete rows \(without NaN\) in 4 '
                                         'dimensions'):
        build('PCASingleViewLoss').fit(keypoints)


def test_centre_per_frame_ignores_translation_and_columns_select_keypoints():
    rng = np.random.default_rng(3)
    shape = np.array([[0., 0.], [10., 0.], [0., 20.]])
    direction = np.array([[0., 0.], [1., 0.], [0., -1.]])

    def frames(n):
        stretch = rng.normal(size=(n, 1, 1)) * 5
        shift = rng.uniform(-100, 100, size=(n, 1, 2))
        far_away = np.full((n, 1, 2), 1e3)  # keypoint 3, not in the columns
        return np.concatenate([shape + stretch * direction + shift, far_away], axis=1)

    centred = build('PCASingleViewLoss', keypoints=[0, 1, 2], centre_per_frame=True,
                    components_to_keep=1)
    centred.fit(frames(20))
    assert centred.reconstruction_error(frames(5)).abs().max() < 1e-3
    plain = build('PCASingleViewLoss', keypoints=[0, 1, 2], components_to_keep=1)
    plain.fit(frames(20))
    assert plain.reconstruction_error(frames(5)).abs().max() > 1.
    assert plain.keypoint_indices == [0, 1, 2]


def fitted_multiview(**kwargs):
    loss = LOSSES.build(dict(MULTIVIEW, **kwargs))
    loss.fit(two_view_points(np.random.default_rng(0)))
    return loss


def test_pca_loss_value_gradients_and_nan_predictions():
    loss = fitted_multiview(epsilon=0.)
    keypoints = torch.from_numpy(two_view_points(np.random.default_rng(0))[:4]).clone()
    keypoints[0, 7] += torch.tensor([3., 4.])
    keypoints[1, 3] = NAN  # frame 1, body part 3: both views excluded
    keypoints.requires_grad_()
    value, logs = loss(dict(keypoints_pred=keypoints))
    errors = loss.reconstruction_error(keypoints.detach())
    assert errors[1, [3, 8]].isnan().all() and errors.isnan().sum() == 2
    assert value.item() == pytest.approx(errors.nansum().item() / 38, rel=1e-5)
    assert logs['train/pca_multiview'].item() == pytest.approx(value.item())
    value.backward()
    assert torch.isfinite(keypoints.grad).all() and keypoints.grad[0, 7].abs().sum() > 0
    assert keypoints.grad[1, [3, 8]].abs().sum() == 0


def test_pca_epsilon_rectifies_and_data_info_override():
    loss = fitted_multiview(epsilon=1., data_info=dict(keypoints='keypoints_pred_sf'))
    keypoints = torch.from_numpy(two_view_points(np.random.default_rng(0))[:2]).clone()
    value, _ = loss(dict(keypoints_pred_sf=keypoints))
    assert value.item() == 0  # exact structure: all errors below 1 px
    keypoints[0, 2] += 100.
    errors = loss.reconstruction_error(keypoints)
    value, _ = loss(dict(keypoints_pred_sf=keypoints))
    assert value.item() == pytest.approx((errors - 1).clamp(min=0).sum().item() / 20, rel=1e-5)


def test_unfitted_pca_loss_refuses_to_run():
    loss = build('PCASingleViewLoss')
    assert not loss.fitted and loss.describe() == 'not fitted'
    with pytest.raises(RuntimeError, match=r"PCASingleViewLoss \('pca_singleview'\) must be "
                                           'fit first'):
        loss(dict(keypoints_pred=torch.zeros(2, 3, 2)))


def test_state_dict_round_trip_into_a_fresh_loss(tmp_path):
    fitted = fitted_multiview()
    path = tmp_path / 'pca.pth'
    torch.save(fitted.state_dict(), path)
    state = torch.load(path, weights_only=True)
    assert set(state) == {'mean', 'components', 'epsilon', 'fitted'}
    fresh = LOSSES.build(MULTIVIEW)
    assert set(fresh.state_dict()) == {'epsilon', 'fitted'}  # not fitted: no PCA yet
    fresh.load_state_dict(state)
    assert fresh.fitted and fresh.components.shape == (4, 3)
    for name in state:
        torch.testing.assert_close(getattr(fresh, name), getattr(fitted, name))
    keypoints = torch.from_numpy(two_view_points(np.random.default_rng(5))[:3])
    torch.testing.assert_close(fresh.reconstruction_error(keypoints),
                               fitted.reconstruction_error(keypoints))
    # a loaded state replaces another fit, and an unfitted state empties the loss
    other = LOSSES.build(MULTIVIEW)
    other.fit(two_view_points(np.random.default_rng(6)))
    other.load_state_dict(state)
    torch.testing.assert_close(other.mean, fitted.mean)
    other.load_state_dict(LOSSES.build(MULTIVIEW).state_dict())
    assert not other.fitted and other.mean is None


def test_fixed_epsilon_of_the_config_survives_loading():
    state = fitted_multiview().state_dict()
    loss = LOSSES.build(dict(MULTIVIEW, epsilon=7.))
    loss.load_state_dict(state)
    assert loss.epsilon.item() == 7. and loss.fitted


def test_pose_tracker_checkpoint_restores_its_pca_loss():
    cfg = dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
               codec=dict(type='HeatmapCodec', input_size=(64, 64)),
               head=dict(type='HeatmapHead', num_keypoints=10),
               losses=[dict(type='HeatmapMSELoss'), MULTIVIEW])
    trained = MODELS.build(cfg)
    trained.losses[1].fit(two_view_points(np.random.default_rng(0)))
    fresh = MODELS.build(cfg)
    fresh.load_state_dict(trained.state_dict())  # strict, no shape mismatch error
    torch.testing.assert_close(fresh.losses[1].components, trained.losses[1].components)


# -- keypoint and view names -----------------------------------------------------------------
NAMES = [f'{part}_{view}' for view in ('top', 'bot') for part in ('nose', 'ear', 'tail')]
META = build_metainfo(NAMES, views=dict(top=NAMES[:3], bot=NAMES[3:]))


def bound(cfg):
    loss = LOSSES.build(cfg)
    loss.bind(HeatmapCodec((64, 64)), META)
    return loss


def test_pca_losses_resolve_view_and_keypoint_names():
    assert bound(dict(type='PCAMultiViewLoss')).view_columns == [[0, 1, 2], [3, 4, 5]]
    assert bound(dict(type='PCAMultiViewLoss', views=['bot', 'top'])).view_columns == \
        [[3, 4, 5], [0, 1, 2]]
    assert bound(dict(type='PCAMultiViewLoss', views=[['ear_top', 'tail_top'],
                                                      ['ear_bot', 'tail_bot']])
                 ).keypoint_indices == [1, 2, 4, 5]
    assert bound(dict(type='PCASingleViewLoss')).keypoint_indices == [0, 1, 2, 3, 4, 5]
    assert bound(dict(type='PCASingleViewLoss', views=['bot'])).keypoint_indices == [3, 4, 5]
    assert bound(dict(type='PCASingleViewLoss', keypoints=['tail_bot', 'nose_top'])
                 ).keypoint_indices == [5, 0]


def test_pca_name_errors_name_the_loss_and_the_choices():
    with pytest.raises(KeyError, match=r"PCAMultiViewLoss \('pca_multiview'\): unknown view\(s\) "
                                       r"\['side'\]; .* declares \['bot', 'top'\]"):
        bound(dict(type='PCAMultiViewLoss', views=['top', 'side']))
    with pytest.raises(KeyError, match="unknown keypoint 'paw_top'"):
        bound(dict(type='PCASingleViewLoss', keypoints=['paw_top']))
    with pytest.raises(RuntimeError, match='build it inside a PoseTracker'):
        build('PCAMultiViewLoss', views=['top', 'bot']).keypoint_indices
