"""Calibrated cameras and 3-D: Anipose calibrations, projection, triangulation.

Modules: ``calibration`` (the ``.toml`` format), ``projection`` (world → pixels and back, in
numpy through OpenCV and in torch), ``triangulation`` (weighted DLT, reprojection errors).
"""
from .calibration import (Calibration, CalibrationError, Camera, camera_looking_at,
                          is_per_session, read_calibration, session_calibration_path,
                          write_calibration)
from .projection import (CameraTensors, project_points, project_points_torch, undistort_points,
                         undistort_points_torch)
from .triangulation import (reprojection_errors, reprojection_errors_torch, triangulate,
                            triangulate_torch)

__all__ = [
    'Calibration', 'CalibrationError', 'Camera', 'camera_looking_at', 'is_per_session',
    'read_calibration', 'session_calibration_path', 'write_calibration',
    'CameraTensors', 'project_points', 'project_points_torch', 'undistort_points',
    'undistort_points_torch', 'reprojection_errors', 'reprojection_errors_torch',
    'triangulate', 'triangulate_torch'
]
