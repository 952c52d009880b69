"""Camera calibrations in Anipose's ``.toml`` format: reading (strict) and writing (atomic).

A calibration file holds one table per camera, ``[cam_0]``, ``[cam_1]``, …::

    [cam_0]
    name = "top"
    size = [1280, 1024]                      # width, height (px)
    matrix = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]
    distortions = [k1, k2, p1, p2, k3]       # OpenCV's model; shorter lists are zero-padded
    rotation = [rx, ry, rz]                  # Rodrigues vector, world -> camera
    translation = [tx, ty, tz]               # camera = R @ world + t

and optionally a ``[metadata]`` table (kept as it is). Pixel coordinates follow OpenCV, which
is posekit's convention too (pixel centres on integers, docs/contracts.md "Coordinates"), so
calibrations made with Anipose / OpenCV apply to posekit's frame pixels unchanged.
"""
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from posekit.atomic_io import write_text_atomic

N_DISTORTIONS = 5  # k1, k2, p1, p2, k3


class CalibrationError(ValueError):
    """A calibration file or table that cannot be used; the message names the file and key."""


@dataclass
class Camera:
    """One calibrated camera (OpenCV's pinhole model with radial/tangential distortion).

    Attributes:
        name: View name (matches the project's ``view_names``).
        size: ``(width, height)`` of the camera's frames in pixels.
        matrix: ``(3, 3)`` intrinsic matrix.
        distortions: ``(5,)`` coefficients ``k1, k2, p1, p2, k3``.
        rotation: ``(3,)`` Rodrigues vector of the world-to-camera rotation.
        translation: ``(3,)`` world-to-camera translation.
    """
    name: str
    size: tuple[int, int]
    matrix: np.ndarray
    distortions: np.ndarray
    rotation: np.ndarray
    translation: np.ndarray

    @property
    def rotation_matrix(self) -> np.ndarray:
        """``(3, 3)`` world-to-camera rotation matrix."""
        return cv2.Rodrigues(self.rotation)[0]

    @property
    def extrinsics(self) -> np.ndarray:
        """``(3, 4)`` matrix ``[R | t]`` mapping homogeneous world points to camera points."""
        return np.concatenate([self.rotation_matrix, self.translation[:, None]], axis=1)


@dataclass
class Calibration:
    """The cameras of one session, in file order, and the file's ``metadata`` table.

    Attributes:
        cameras: The cameras.
        metadata: The ``[metadata]`` table (empty when absent).
        source: Where the calibration came from (for error messages).
    """
    cameras: list[Camera]
    metadata: dict = field(default_factory=dict)
    source: str = '<memory>'

    @property
    def names(self) -> list[str]:
        """Camera (view) names in file order."""
        return [cam.name for cam in self.cameras]

    def select(self, names: list[str]) -> list[Camera]:
        """The cameras of the given views, in that order.

        Raises:
            CalibrationError: A view without a camera, naming the source.
        """
        by_name = {cam.name: cam for cam in self.cameras}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise CalibrationError(f'{self.source}: no camera for view(s) {missing}; the '
                                   f'calibration has {self.names}')
        return [by_name[n] for n in names]


def camera_looking_at(name: str, size: tuple[int, int], focal: float,
                      position: Sequence[float], target: Sequence[float], up: Sequence[float],
                      distortions: Sequence[float] = ()) -> Camera:
    """A camera at ``position`` looking at ``target``, its image ``up`` towards ``up``.

    The principal point is the frame centre ``((W - 1) / 2, (H - 1) / 2)`` (pixel centres on
    integers), pixels are square.

    Args:
        name: View name.
        size: ``(width, height)`` in pixels.
        focal: Focal length in pixels.
        position: ``(3,)`` camera centre in world coordinates.
        target: ``(3,)`` world point on the optical axis.
        up: ``(3,)`` world direction shown upwards in the image (not along the axis).
        distortions: Up to 5 coefficients ``k1, k2, p1, p2, k3`` (zero-padded).

    Returns:
        The camera.
    """
    position = np.asarray(position, np.float64)
    forward = np.asarray(target, np.float64) - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.asarray(up, np.float64))
    if np.linalg.norm(right) < 1e-9:
        raise ValueError(f'camera {name!r}: up {up} is parallel to the viewing direction')
    right /= np.linalg.norm(right)
    rotation = np.stack([right, np.cross(forward, right), forward])
    matrix = np.array([[focal, 0., (size[0] - 1) / 2], [0., focal, (size[1] - 1) / 2],
                       [0., 0., 1.]])
    dist = np.asarray(distortions, np.float64)
    return Camera(name=name, size=(int(size[0]), int(size[1])), matrix=matrix,
                  distortions=np.pad(dist, (0, N_DISTORTIONS - dist.size)),
                  rotation=cv2.Rodrigues(rotation)[0][:, 0], translation=-rotation @ position)


def _array(table: dict, key: str, shape: tuple, where: str) -> np.ndarray:
    if key not in table:
        raise CalibrationError(f'{where}: missing key {key!r}')
    try:
        value = np.asarray(table[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise CalibrationError(f'{where}.{key}: expected numbers of shape {shape}, got '
                               f'{table[key]!r}') from None
    if value.shape != shape or not np.isfinite(value).all():
        raise CalibrationError(f'{where}.{key}: expected finite numbers of shape {shape}, got '
                               f'{table[key]!r}')
    return value


def camera_from_table(table: dict, where: str) -> Camera:
    """Parse one ``[cam_i]`` table.

    Args:
        table: The table's contents.
        where: ``<file>: cam_i``, for error messages.

    Raises:
        CalibrationError: A missing key, a wrong shape, a non-finite number, a fisheye camera
            or more than 5 distortion coefficients.
    """
    if table.get('fisheye', False):
        raise CalibrationError(f'{where}: fisheye cameras are not supported')
    name = table.get('name')
    if not isinstance(name, str) or not name:
        raise CalibrationError(f'{where}: missing or empty string key \'name\'')
    size = _array(table, 'size', (2,), where)
    if (size <= 0).any() or (size != np.round(size)).any():
        raise CalibrationError(f'{where}.size: expected two positive integers, got '
                               f'{table["size"]!r}')
    raw_dist = np.asarray(table.get('distortions', []), dtype=np.float64).ravel()
    if raw_dist.size > N_DISTORTIONS or not np.isfinite(raw_dist).all():
        raise CalibrationError(f'{where}.distortions: expected at most {N_DISTORTIONS} finite '
                               f'coefficients (k1, k2, p1, p2, k3), got {raw_dist.tolist()}')
    matrix = _array(table, 'matrix', (3, 3), where)
    if matrix[0, 0] <= 0 or matrix[1, 1] <= 0:
        raise CalibrationError(f'{where}.matrix: focal lengths must be positive, got '
                               f'{matrix.tolist()}')
    return Camera(name=name, size=(int(size[0]), int(size[1])), matrix=matrix,
                  distortions=np.pad(raw_dist, (0, N_DISTORTIONS - raw_dist.size)),
                  rotation=_array(table, 'rotation', (3,), where),
                  translation=_array(table, 'translation', (3,), where))


#: The placeholder of a per-session calibration path, e.g. ``'calibrations/{session}.toml'``.
SESSION_FIELD = '{session}'


def is_per_session(entry: str) -> bool:
    """Whether a calibration entry is a per-session pattern (holds ``{session}``)."""
    return SESSION_FIELD in str(entry)


def session_calibration_path(entry: str, session: str) -> str:
    """The calibration file of a session.

    Args:
        entry: The metainfo's ``calibration``: one file for every session, or a pattern
            with ``{session}`` (e.g. ``'calibrations/{session}.toml'``, Lightning Pose's
            layout).
        session: The session's name.

    Returns:
        ``entry`` with ``{session}`` replaced by ``session`` (``entry`` itself without it).
    """
    return str(entry).replace(SESSION_FIELD, session)


def read_calibration(path: str) -> Calibration:
    """Read an Anipose-format calibration ``.toml`` (strictly).

    Args:
        path: The file.

    Returns:
        Its cameras in ``cam_0, cam_1, …`` order.

    Raises:
        CalibrationError: An unreadable file, no camera, cameras not numbered ``0 … n-1``,
            two cameras with one name, or a malformed camera (naming the file and key).
    """
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except OSError as err:
        raise CalibrationError(f'cannot read calibration {path}: {err}') from None
    except tomllib.TOMLDecodeError as err:
        raise CalibrationError(f'{path}: not valid TOML: {err}') from None
    keys = [k for k in data if k != 'metadata']
    expected = [f'cam_{i}' for i in range(len(keys))]
    if not keys or sorted(keys) != sorted(expected):
        raise CalibrationError(f'{path}: expected tables cam_0 … cam_<n-1> (and optionally '
                               f'metadata), got {keys}')
    cameras = [camera_from_table(data[k], f'{path}: {k}') for k in expected]
    names = [cam.name for cam in cameras]
    if len(set(names)) != len(names):
        raise CalibrationError(f'{path}: camera names must be unique, got {names}')
    return Calibration(cameras, dict(data.get('metadata', {})), path)


def _toml_value(value: Any) -> str:
    """A TOML literal for a string, bool, number or (nested) list of them."""
    if isinstance(value, str):
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
    if isinstance(value, (bool, np.bool_)):
        return 'true' if value else 'false'
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise CalibrationError(f'cannot write the non-finite number {value} to TOML')
        return repr(float(value))
    if isinstance(value, (list, tuple, np.ndarray)):
        return '[' + ', '.join(_toml_value(v) for v in value) + ']'
    raise CalibrationError(f'cannot write {type(value).__name__} {value!r} to TOML')


def calibration_to_toml(calibration: Calibration) -> str:
    """The TOML text of a calibration (floats written exactly, so reading it back is exact)."""
    lines = []
    for i, cam in enumerate(calibration.cameras):
        entries = dict(name=cam.name, size=list(cam.size), matrix=cam.matrix,
                       distortions=cam.distortions, rotation=cam.rotation,
                       translation=cam.translation)
        lines.append(f'[cam_{i}]')
        lines += [f'{key} = {_toml_value(value)}' for key, value in entries.items()]
        lines.append('')
    if calibration.metadata:
        lines.append('[metadata]')
        lines += [f'{key} = {_toml_value(value)}' for key, value in calibration.metadata.items()]
        lines.append('')
    return '\n'.join(lines)


def write_calibration(path: str, calibration: Calibration) -> None:
    """Write a calibration ``.toml`` atomically (temporary file in the same folder, renamed).

    Args:
        path: Destination; its folder is created if needed.
        calibration: The cameras and metadata.
    """
    text = calibration_to_toml(calibration)
    write_text_atomic(path, text)
