import math

import pytest
import torch

from posekit.registry import LOSSES


def maps(*values):
    """(1, K, 1, 2) heatmaps from K pairs of pixel values."""
    return torch.tensor([[[list(v)] for v in values]], dtype=torch.float64)


def test_mse_is_scaled_by_map_size_and_skips_empty_targets():
    pred = maps((0.25, 0.75), (0.5, 0.5)).requires_grad_()
    target = maps((0.5, 0.5), (0., 0.))  # second keypoint unlabeled (all-zero target)
    loss = LOSSES.build(dict(type='HeatmapMSELoss'))
    value, logs = loss(dict(heatmaps_pred=pred, heatmaps_targ=target), stage='train')
    # mean over pixels of squared error = 0.0625, times h*w = 2 -> 0.125; one labeled map
    assert value.item() == pytest.approx(0.125)
    assert logs['train/heatmap_mse'].item() == pytest.approx(0.125)
    assert logs['train/heatmap_mse_weight'].item() == 1.0
    value.backward()
    assert pred.grad[0, 1].abs().sum() == 0  # the skipped map gets no gradient
    assert pred.grad[0, 0, 0].tolist() == pytest.approx([-0.5, 0.5])


def test_kl_matches_hand_computation():
    pred, target = maps((0.25, 0.75)), maps((0.5, 0.5))
    value, _ = LOSSES.build(dict(type='HeatmapKLLoss'))(
        dict(heatmaps_pred=pred, heatmaps_targ=target))
    expected = (0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_js_matches_hand_computation_and_is_symmetric():
    pred, target = maps((0.25, 0.75)), maps((0.5, 0.5))
    loss = LOSSES.build(dict(type='HeatmapJSLoss'))
    value, _ = loss(dict(heatmaps_pred=pred, heatmaps_targ=target))
    m = (0.375, 0.625)
    js = 0.5 * (0.5 * math.log(0.5 / m[0]) + 0.5 * math.log(0.5 / m[1])) \
        + 0.5 * (0.25 * math.log(0.25 / m[0]) + 0.75 * math.log(0.75 / m[1]))
    assert value.item() == pytest.approx(js / 2, rel=1e-6)
    swapped, _ = loss(dict(heatmaps_pred=target, heatmaps_targ=pred))
    assert swapped.item() == pytest.approx(value.item())


def test_all_empty_batch_gives_zero_with_gradient_path():
    pred = maps((0.3, 0.7)).requires_grad_()
    value, _ = LOSSES.build(dict(type='HeatmapMSELoss'))(
        dict(heatmaps_pred=pred, heatmaps_targ=torch.zeros_like(pred)))
    assert value.item() == 0
    value.backward()
    assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_nan_target_gives_no_nan():
    pred = maps((0.3, 0.7), (0.5, 0.5)).requires_grad_()
    target = maps((float('nan'), float('nan')), (0.5, 0.5))
    value, _ = LOSSES.build(dict(type='HeatmapMSELoss'))(
        dict(heatmaps_pred=pred, heatmaps_targ=target))
    value.backward()
    assert value.item() == 0
    assert not pred.grad.isnan().any()


def test_weights_reductions_and_epsilon():
    pred = maps((0.25, 0.75), (0.5, 0.5))
    target = maps((0.5, 0.5), (1., 0.))  # per-map losses 0.125 and 0.5
    outputs = dict(heatmaps_pred=pred, heatmaps_targ=target)
    build = lambda **kw: LOSSES.build(dict(type='HeatmapMSELoss', **kw))  # noqa: E731
    assert build()(outputs)[0].item() == pytest.approx(0.3125)
    assert build(reduction='sum')(outputs)[0].item() == pytest.approx(0.625)
    assert build(reduction='none')(outputs)[0][0].tolist() == pytest.approx([0.125, 0.5])
    assert build(loss_weight=4.)(outputs)[0].item() == pytest.approx(1.25)
    value, logs = build(log_weight=1.)(outputs)
    weight = 1 / (2 * math.e)
    assert value.item() == pytest.approx(0.3125 * weight)
    assert logs['train/heatmap_mse'].item() == pytest.approx(0.3125)  # raw, unweighted
    assert logs['train/heatmap_mse_weight'].item() == pytest.approx(weight)
    assert build(epsilon=0.2)(outputs)[0].item() == pytest.approx((0. + 0.3) / 2)
    assert build(epsilon=[0.1, 0.4])(outputs)[0].item() == pytest.approx((0.025 + 0.1) / 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match='loss_weight or log_weight, not both'):
        LOSSES.build(dict(type='HeatmapMSELoss', loss_weight=1., log_weight=0.))
    with pytest.raises(ValueError, match='reduction must be mean, sum or none'):
        LOSSES.build(dict(type='HeatmapMSELoss', reduction='max'))
    with pytest.raises(KeyError, match=r"unknown argument\(s\) \['preds'\]"):
        LOSSES.build(dict(type='HeatmapMSELoss', data_info=dict(preds='x')))


def test_data_info_override_reads_another_key():
    loss = LOSSES.build(dict(type='HeatmapMSELoss', data_info=dict(pred='heatmaps_pred_sf')))
    outputs = dict(heatmaps_pred_sf=maps((0.25, 0.75)), heatmaps_targ=maps((0.5, 0.5)))
    assert loss(outputs)[0].item() == pytest.approx(0.125)
    with pytest.raises(KeyError, match=r"needs output key\(s\) \['heatmaps_pred_sf'\].*"
                                       r"produces \['heatmaps_pred', 'heatmaps_targ'\]"):
        loss.check_outputs(['heatmaps_pred', 'heatmaps_targ'])
