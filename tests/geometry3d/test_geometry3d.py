"""Tests of posekit/geometry3d: calibration files, projection, undistortion, triangulation."""
import os

import numpy as np
import pytest
import torch

from posekit.geometry3d import (Calibration, CalibrationError, Camera, CameraTensors,
                                camera_looking_at, project_points, project_points_torch,
                                read_calibration, reprojection_errors, reprojection_errors_torch,
                                triangulate, triangulate_torch, undistort_points,
                                undistort_points_torch, write_calibration)

DISTORTED = [[-0.12, 0.05, 0.001, -0.002, 0.01], [0.08, -0.02, -0.0015, 0.001, 0.0],
             [-0.05, 0.0, 0.0, 0.0, 0.0]]


def rig(distorted: bool) -> list[Camera]:
    """Three cameras around the origin (world units ~ mm, points within +-50)."""
    poses = [((0., -400., 120.), (0., 0., 1.)), ((380., 150., 60.), (0., 0., 1.)),
             ((-50., 80., -420.), (0., -1., 0.))]
    return [camera_looking_at(f'cam{i}', (640 + 40 * i, 480), 800. + 50 * i, position,
                              (0., 0., 0.), up, DISTORTED[i] if distorted else ())
            for i, (position, up) in enumerate(poses)]


def random_points(n=200, seed=0):
    return np.random.default_rng(seed).uniform(-50, 50, (n, 3))


def test_camera_looking_at_projects_the_target_to_the_centre():
    cam = camera_looking_at('a', (641, 481), 500., (0., -100., 0.), (0., 0., 0.), (0., 0., 1.))
    np.testing.assert_allclose(project_points(np.zeros(3), cam), [320., 240.], atol=1e-9)
    # world +Z (up) is image up (smaller y); world +X is image right
    np.testing.assert_allclose(project_points([0., 0., 10.], cam), [320., 190.], atol=1e-9)
    np.testing.assert_allclose(project_points([10., 0., 0.], cam), [370., 240.], atol=1e-9)
    with pytest.raises(ValueError, match='parallel'):
        camera_looking_at('b', (10, 10), 5., (0., 0., -1.), (0., 0., 0.), (0., 0., 1.))


def hand_camera(distortions=()):
    """f = 100, principal point (50, 40), identity rotation, camera 5 units behind the origin."""
    return Camera('hand', (100, 80), np.array([[100., 0., 50.], [0., 100., 40.], [0., 0., 1.]]),
                  np.pad(np.asarray(distortions, float), (0, 5 - len(distortions))),
                  np.zeros(3), np.array([0., 0., 5.]))


def test_projection_and_reprojection_error_by_hand():
    # (1, 2, 5) -> camera (1, 2, 10) -> normalised (0.1, 0.2) -> pixels (60, 60)
    cam = hand_camera()
    np.testing.assert_allclose(project_points([1., 2., 5.], cam), [60., 60.], atol=1e-12)
    # k1 = 0.1: r^2 = 0.05, radial factor 1.005 -> (0.1005, 0.201) -> (60.05, 60.1)
    cam_k1 = hand_camera([0.1])
    np.testing.assert_allclose(project_points([1., 2., 5.], cam_k1), [60.05, 60.1], atol=1e-12)
    # p1 = 0.01: dx = 2 p1 x y = 0.0004, dy = p1 (r^2 + 2 y^2) = 0.0013 -> (60.04, 60.13)
    cam_p1 = hand_camera([0., 0., 0.01])
    np.testing.assert_allclose(project_points([1., 2., 5.], cam_p1), [60.04, 60.13],
                               atol=1e-12)
    observed = np.array([[63., 64.], [60., 60.]])  # errors 5 and 0
    errors = reprojection_errors(np.array([[1., 2., 5.], [1., 2., 5.]]), observed[None], [cam])
    np.testing.assert_allclose(errors, [[5., 0.]], atol=1e-12)
    tensors = CameraTensors([cam_k1])
    torch_errors = reprojection_errors_torch(torch.tensor([1., 2., 5.], dtype=torch.float64),
                                             torch.tensor([[60.05, 63.1]], dtype=torch.float64),
                                             tensors)
    np.testing.assert_allclose(torch_errors.numpy(), [3.], atol=1e-12)


@pytest.mark.parametrize('distorted', [False, True])
def test_torch_projection_matches_opencv(distorted):
    cameras, points = rig(distorted), random_points()
    expected = np.stack([project_points(points, cam) for cam in cameras])
    got = project_points_torch(torch.from_numpy(points), CameraTensors(cameras)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-9)
    normalised = np.stack([undistort_points(p, cam) for p, cam in zip(expected, cameras)])
    got_normalised = undistort_points_torch(torch.from_numpy(expected), CameraTensors(cameras))
    np.testing.assert_allclose(got_normalised.numpy(), normalised, atol=1e-10)
    # undistortion inverts the projection: normalised = camera (X / Z, Y / Z)
    camera_points = np.einsum('vij,mj->vmi', np.stack([c.rotation_matrix for c in cameras]),
                              points) + np.stack([c.translation for c in cameras])[:, None]
    np.testing.assert_allclose(normalised, camera_points[..., :2] / camera_points[..., 2:],
                               atol=1e-10)


@pytest.mark.parametrize('distorted, tolerance', [(False, 1e-6), (True, 1e-6)])
def test_triangulation_recovers_points(distorted, tolerance):
    cameras, points = rig(distorted), random_points()
    pixels = np.stack([project_points(points, cam) for cam in cameras])
    assert np.abs(triangulate(pixels, cameras) - points).max() < tolerance
    torch_points = triangulate_torch(torch.from_numpy(pixels), CameraTensors(cameras)).numpy()
    assert np.abs(torch_points - points).max() < tolerance
    # any two views suffice
    assert np.abs(triangulate(pixels[[0, 2]], [cameras[0], cameras[2]]) - points).max() \
        < tolerance
    assert np.abs(reprojection_errors(points, pixels, cameras)).max() < 1e-6


def test_triangulation_drops_unseen_and_unconfident_views():
    cameras, points = rig(False), random_points(4)
    pixels = np.stack([project_points(points, cam) for cam in cameras])
    pixels[2, 0] += 30.  # view 2 is wrong about point 0 ...
    confidences = np.ones((3, 4))
    confidences[2, 0] = 0.2  # ... and unsure, so a threshold of 0.5 drops it
    pixels[0, 1] = np.nan  # point 1 is unseen by view 0: two views remain
    pixels[:2, 2] = np.nan  # point 2 is seen by one view only
    confidences[1:, 3] = 0.1  # point 3 is confident in one view only
    got = triangulate(pixels, cameras, confidences, threshold=0.5)
    np.testing.assert_allclose(got[:2], points[:2], atol=1e-6)
    assert np.isnan(got[2:]).all()
    without_threshold = triangulate(pixels, cameras, confidences)
    assert np.abs(without_threshold[0] - points[0]).max() > 0.01  # the wrong view pulls it
    torch_got = triangulate_torch(torch.from_numpy(pixels), CameraTensors(cameras),
                                  torch.from_numpy(confidences), threshold=0.5).numpy()
    np.testing.assert_allclose(torch_got, got, atol=1e-9, equal_nan=True)


def test_confidence_weights_pull_towards_confident_views():
    cameras, points = rig(False), random_points(1)
    pixels = np.stack([project_points(points, cam) for cam in cameras])
    pixels[2] += 5.
    low = triangulate(pixels, cameras, np.array([[1.], [1.], [0.1]]))
    high = triangulate(pixels, cameras, np.array([[1.], [1.], [1.]]))
    assert np.linalg.norm(low - points) < 0.2 * np.linalg.norm(high - points)


def test_triangulation_gradient_is_finite_with_missing_views():
    cameras = CameraTensors(rig(True))
    points = random_points(3)
    pixels = torch.from_numpy(np.stack([project_points(points, cam) for cam in rig(True)]))
    pixels[0, 1] = float('nan')
    pixels[:2, 2] = float('nan')
    pixels.requires_grad_(True)
    got = triangulate_torch(pixels, cameras)
    got[:2].sum().backward()
    grad = pixels.grad.numpy()
    assert np.isfinite(grad).all()
    assert np.abs(grad[:, 0]).sum() > 0 and np.abs(grad[:, 2]).sum() == 0


def test_calibration_round_trip(tmp_path):
    calibration = Calibration(rig(True), {'adjusted': False, 'error': 0.25})
    path = str(tmp_path / 'calib' / 'session1.toml')
    write_calibration(path, calibration)
    assert os.listdir(tmp_path / 'calib') == ['session1.toml']
    back = read_calibration(path)
    assert back.names == ['cam0', 'cam1', 'cam2'] and back.source == path
    assert back.metadata == {'adjusted': False, 'error': 0.25}
    for a, b in zip(calibration.cameras, back.cameras):
        assert a.size == b.size
        for key in ('matrix', 'distortions', 'rotation', 'translation'):
            assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert [c.name for c in back.select(['cam2', 'cam0'])] == ['cam2', 'cam0']
    with pytest.raises(CalibrationError,
                       match=r"session1.toml: no camera for view\(s\) \['side'\]"):
        back.select(['cam0', 'side'])


ANIPOSE_TEXT = '''[cam_0]
name = "top"
size = [ 1280, 1024,]
matrix = [ [ 1500.0, 0.0, 639.5,], [ 0.0, 1500.0, 511.5,], [ 0.0, 0.0, 1.0,],]
distortions = [ -0.2, 0.0, 0.0, 0.0, 0.0,]
rotation = [ 0.0, 0.0, 0.0,]
translation = [ 0.0, 0.0, 500.0,]

[cam_1]
name = "side"
size = [ 640, 480,]
matrix = [ [ 800.0, 0.0, 319.5,], [ 0.0, 800.0, 239.5,], [ 0.0, 0.0, 1.0,],]
distortions = [ 0.1,]
rotation = [ 0.0, 1.5707963267948966, 0.0,]
translation = [ 0.0, 0.0, 500.0,]

[metadata]
adjusted = true
error = 0.41
'''


def test_reads_anipose_format(tmp_path):
    path = tmp_path / 'calib.toml'
    path.write_text(ANIPOSE_TEXT)
    calibration = read_calibration(str(path))
    top, side = calibration.cameras
    assert calibration.names == ['top', 'side'] and top.size == (1280, 1024)
    assert calibration.metadata == {'adjusted': True, 'error': 0.41}
    np.testing.assert_array_equal(side.distortions, [0.1, 0., 0., 0., 0.])
    np.testing.assert_allclose(side.rotation_matrix @ [1., 0., 0.], [0., 0., -1.], atol=1e-12)
    np.testing.assert_array_equal(top.translation, [0., 0., 500.])


@pytest.mark.parametrize('edit, message', [
    (('name = "side"', ''), "cam_1: missing or empty string key 'name'"),
    (('rotation = [ 0.0, 1.5707963267948966, 0.0,]', 'rotation = [0.0, 1.0]'),
     r'cam_1.rotation: expected finite numbers of shape \(3,\)'),
    (('[cam_1]', '[cam_2]'), r"expected tables cam_0 … cam_<n-1> \(and optionally metadata\), "
                             r"got \['cam_0', 'cam_2'\]"),
    (('distortions = [ 0.1,]', 'distortions = [0.1, 0, 0, 0, 0, 0.2]'),
     'cam_1.distortions: expected at most 5'),
    (('name = "side"', 'name = "top"'), r"camera names must be unique, got \['top', 'top'\]"),
    (('size = [ 640, 480,]', 'size = [640.5, 480]'), 'cam_1.size: expected two positive'),
    (('size = [ 640, 480,]', 'size = [640, 480]\nfisheye = true'), 'cam_1: fisheye cameras'),
    (('[metadata]', '[metadata'), 'not valid TOML'),
])
def test_bad_calibrations_are_named(tmp_path, edit, message):
    path = tmp_path / 'bad.toml'
    path.write_text(ANIPOSE_TEXT.replace(*edit))
    with pytest.raises(CalibrationError, match=message) as err:
        read_calibration(str(path))
    assert str(path) in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CalibrationError, match='cannot read calibration .*nope.toml'):
        read_calibration(str(tmp_path / 'nope.toml'))
