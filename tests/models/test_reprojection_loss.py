"""ReprojectionLoss against a hand computation, its calibration sources and its gradients."""
import math

import numpy as np
import pytest
import torch

from posekit.geometry3d import (Calibration, CalibrationError, Camera, project_points,
                                write_calibration)
from posekit.registry import LOSSES

NAN = float('nan')


def stereo_camera(name, x_centre):
    """f = 100, principal point (50, 50), looking along +Z from (x_centre, 0, 0)."""
    return Camera(name, (100, 100), np.array([[100., 0., 50.], [0., 100., 50.], [0., 0., 1.]]),
                  np.zeros(5), np.zeros(3), np.array([-x_centre, 0., 0.]))


@pytest.fixture
def calibration_file(tmp_path):
    path = str(tmp_path / 'stereo.toml')
    write_calibration(path, Calibration([stereo_camera('left', 0.), stereo_camera('right', 1.)]))
    return path


def hand_batch():
    """(N=1, V=2, K=3, 2). Keypoint 0: the point (0, 0, 10) is seen at (50, 50) / (40, 50);
    the views disagree by +-2 px in y. Keypoint 1: seen by the left view only. Keypoint 2: the
    right view is unsure (confidence 0.1)."""
    keypoints = torch.tensor([[[[50., 52.], [30., 30.], [50., 50.]],
                               [[40., 48.], [NAN, NAN], [40., 50.]]]], dtype=torch.float64,
                             requires_grad=True)
    confidences = torch.tensor([[[1., 1., 1.], [1., 1., 0.1]]], dtype=torch.float64)
    return keypoints, confidences


def test_hand_computed_value(calibration_file):
    # Keypoint 0, DLT in normalised coordinates (left (0, 0.02), right (-0.1, -0.02)):
    # minimise X^2 + (1 - X - 0.1 Z)^2 + (0.02 Z - Y)^2 + (0.02 Z + Y)^2
    # -> Y = 0, X = (1 - 0.1 Z) / 2, Z = 0.1 / 0.0116, so X / Z = 0.008 and (X - 1) / Z = -0.108:
    # reprojections (50.8, 50) and (39.2, 50), errors sqrt(0.8^2 + 2^2) in both views.
    # Keypoint 2 with prob_threshold 0.5 has one view left: not triangulated, excluded.
    loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file,
                             prob_threshold=0.5, epsilon=0.5))
    keypoints, confidences = hand_batch()
    errors, valid = loss.compute(keypoints, confidences)
    expected = math.sqrt(4.64)
    np.testing.assert_allclose(errors.detach().numpy(), [[[expected, 0., 0.],
                                                          [expected, 0., 0.]]], atol=1e-9)
    assert valid.tolist() == [[[True, False, False], [True, False, False]]]
    value, logs = loss(dict(keypoints_pred=keypoints, confidences=confidences))
    assert value.item() == pytest.approx(expected - 0.5, abs=1e-9)
    assert logs['train/reprojection'].item() == pytest.approx(expected - 0.5, abs=1e-9)
    value.backward()
    grad = keypoints.grad.numpy()
    assert np.isfinite(grad).all() and np.abs(grad[0, :, 0]).sum() > 0
    assert np.abs(grad[0, :, 1:]).sum() == 0  # excluded keypoints get no gradient
    # without a threshold keypoint 2 is triangulated from both (consistent) views: error 0
    no_threshold = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file))
    errors, valid = no_threshold.compute(*hand_batch())
    assert valid[0, :, 2].all() and errors[0, :, 2].abs().max() < 1e-9


def test_unconfident_view_is_penalised_towards_the_others(calibration_file):
    # three views would be needed for a dropped view to be still triangulated: add one
    cameras = [stereo_camera('left', 0.), stereo_camera('right', 1.), stereo_camera('far', 3.)]
    path = calibration_file.replace('stereo', 'three')
    write_calibration(path, Calibration(cameras))
    point = np.array([0.5, 0.2, 8.])
    pixels = np.stack([project_points(point, cam) for cam in cameras])  # (V, 2)
    pixels[2, 0] += 3.  # the unsure third view is off by 3 px
    keypoints = torch.tensor(pixels[None, :, None], dtype=torch.float64)
    confidences = torch.tensor([[[0.9], [0.8], [0.2]]], dtype=torch.float64)
    loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=path, prob_threshold=0.5))
    errors, valid = loss.compute(keypoints, confidences)
    assert valid.all()
    np.testing.assert_allclose(errors[0, :, 0].numpy(), [0., 0., 3.], atol=1e-9)


def test_exact_predictions_have_zero_loss_and_finite_gradient(calibration_file):
    loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file))
    cameras = [stereo_camera('left', 0.), stereo_camera('right', 1.)]
    points = np.random.default_rng(0).uniform([-2, -2, 6], [2, 2, 12], (4, 5, 3))
    pixels = np.stack([project_points(points, cam) for cam in cameras], axis=1)  # (N, V, K, 2)
    keypoints = torch.tensor(pixels, dtype=torch.float32, requires_grad=True)
    value, _ = loss(dict(keypoints_pred=keypoints, confidences=torch.ones(4, 2, 5)))
    assert value.item() < 1e-3  # float32 pixels
    value.backward()
    assert torch.isfinite(keypoints.grad).all()


def test_detached_points_change_the_gradient_only(calibration_file):
    grads, values = [], []
    for detach in (False, True):
        loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file,
                                 detach_points3d=detach))
        keypoints, confidences = hand_batch()
        value, _ = loss(dict(keypoints_pred=keypoints, confidences=confidences))
        value.backward()
        values.append(value.item())
        grads.append(keypoints.grad[0, :, 0].numpy().copy())
    assert values[0] == pytest.approx(values[1], abs=1e-12)
    # detached: each view is pulled straight towards the reprojection, d error / d pixel is
    # the unit vector from the reprojection to the prediction, over 4 valid elements
    reprojection = np.array([[50.8, 50.], [39.2, 50.]])
    observed = np.array([[50., 52.], [40., 48.]])
    unit = (observed - reprojection) / math.sqrt(4.64)
    np.testing.assert_allclose(grads[1], unit / 4, atol=1e-9)
    assert np.abs(grads[0] - grads[1]).max() > 1e-3


def test_calibration_and_view_order_from_metainfo(calibration_file):
    loss = LOSSES.build(dict(type='ReprojectionLoss'))
    with pytest.raises(RuntimeError, match="ReprojectionLoss \\('reprojection'\\) has no "
                                           'calibration'):
        loss.compute(*hand_batch())
    metainfo = dict(keypoint_names=['a_r', 'a_l'], views={'right': ['a_r'], 'left': ['a_l']},
                    calibration=calibration_file)
    loss.bind(None, metainfo)
    assert loss.cameras.names == ['right', 'left']
    keypoints, confidences = hand_batch()
    swapped, _ = loss.compute(keypoints.flip(1), confidences.flip(1))
    reference = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file))
    errors, _ = reference.compute(keypoints, confidences)
    np.testing.assert_allclose(swapped.flip(1).detach().numpy(), errors.detach().numpy(),
                               atol=1e-9)
    explicit = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file,
                                 views=['right', 'left']))
    assert explicit.cameras.names == ['right', 'left']


def test_errors_name_the_problem(calibration_file):
    with pytest.raises(CalibrationError, match=r"stereo.toml: no camera for view\(s\) "
                                               r"\['side'\]"):
        LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file,
                          views=['left', 'side']))
    loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file))
    with pytest.raises(ValueError, match=r"expected keypoints \(N, V=2, K, 2\) for views "
                                         r"\['left', 'right'\], got \(1, 3, 4, 2\)"):
        loss.compute(torch.zeros(1, 3, 4, 2))


def test_nothing_triangulated_gives_zero_with_gradient_path(calibration_file):
    loss = LOSSES.build(dict(type='ReprojectionLoss', calibration=calibration_file))
    keypoints = torch.full((2, 2, 3, 2), NAN, requires_grad=True)
    value, _ = loss(dict(keypoints_pred=keypoints, confidences=torch.ones(2, 2, 3)))
    assert value.item() == 0 and value.requires_grad
    value.backward()
    assert torch.equal(keypoints.grad, torch.zeros_like(keypoints))
