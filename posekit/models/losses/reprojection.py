"""The unsupervised reprojection loss: calibrated views of one instant must agree in 3-D."""
from collections.abc import Sequence
from typing import Optional

import torch
from mmengine.logging import print_log
from torch import Tensor

from posekit.geometry3d import CameraTensors, is_per_session, read_calibration
from posekit.geometry3d.triangulation import reprojection_errors_torch, triangulate_torch
from posekit.registry import LOSSES
from .base import Loss


@LOSSES.register_module()
class ReprojectionLoss(Loss):
    """Triangulate the views' predictions and penalise each view's reprojection error.

    For every frame and keypoint, the predictions of the ``V`` calibrated views are
    triangulated (confidence-weighted linear DLT, ``posekit.geometry3d``; views whose
    confidence is below ``prob_threshold`` are left out of the triangulation); the 3-D point
    is projected back into every view, and the element-wise loss is the distance in frame
    pixels between a view's prediction and that projection, ``(N, V, K)``. ``epsilon`` (pixels,
    scalar or per keypoint) is the dead zone of the base class. Every view whose prediction is
    finite is penalised, including views left out of the triangulation: a view unsure about a
    keypoint is pulled towards where the confident views put it. A keypoint that fewer than two
    views triangulate, and a NaN prediction, are excluded from the mean and get no gradient.

    Gradients: by default they flow through the triangulation too (the loss is the exact
    function of the 2-D predictions, as Lightning Pose's losses are); with
    ``detach_points3d=True`` the triangulated point is a constant target, and each view is
    pulled towards the projection of the current consensus only.

    The cameras: ``calibration='calibrations/session.toml'`` (an Anipose-format file, read
    when the loss is built), or, when it is None, the metainfo's ``calibration`` entry (a path,
    read in :meth:`bind`). The view axis ``V`` of the predictions follows ``views`` (camera
    names), else the metainfo's camera views (``view_names``) or named views, else the
    calibration's camera order. One calibration serves every batch (the loss does not see
    which session a clip comes from): a metainfo ``calibration`` with ``{session}`` (one file
    per session, which the 3-D outputs of ``tools/predict.py`` / ``tools/test.py`` use) needs
    the loss's own ``calibration=`` file; projects whose sessions have different calibrations
    need one project per calibration for this loss.

    Args:
        calibration: Path of the calibration file, or None to take it from the metainfo.
        views: Camera names in the order of the predictions' view axis.
        prob_threshold: Minimum confidence of a view to take part in the triangulation.
        detach_points3d: Stop gradients through the triangulated points.
        **kwargs: :class:`Loss` arguments (``epsilon`` in pixels).
    """

    name = 'reprojection'
    default_data_info = dict(keypoints='keypoints_pred', confidences='confidences')
    view_axis = True

    def __init__(self, calibration: Optional[str] = None, views: Optional[Sequence[str]] = None,
                 prob_threshold: float = 0., detach_points3d: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.views = None if views is None else [str(v) for v in views]
        self.prob_threshold = float(prob_threshold)
        self.detach_points3d = bool(detach_points3d)
        self.calibration_path = calibration
        self.cameras: Optional[CameraTensors] = None
        if calibration is not None:
            self._load(calibration, self.views)

    @property
    def _who(self) -> str:
        return f'{type(self).__name__} ({self.name!r})'

    def _load(self, path: str, views: Optional[Sequence[str]]) -> None:
        """Read the calibration and keep its cameras in ``views`` order (file order if None)."""
        calibration = read_calibration(path)
        cameras = calibration.cameras if views is None else calibration.select(list(views))
        self.cameras = CameraTensors(cameras)
        print_log(f'{self._who}: cameras {self.cameras.names} from {path}', logger='current')

    def bind(self, codec, metainfo: Optional[dict]) -> None:
        """Take the calibration path and the view order from the metainfo when not given."""
        if metainfo is None:
            return
        views = self.views
        if views is None:
            views = metainfo.get('view_names') or list(metainfo.get('views') or {}) or None
        if self.calibration_path is None and metainfo.get('calibration') is not None:
            if is_per_session(metainfo['calibration']):
                raise ValueError(
                    f"{self._who}: the metainfo's calibration {metainfo['calibration']!r} is "
                    "one file per session, but the loss uses one calibration for every batch; "
                    "give the loss its own calibration='<file.toml>'")
            self.calibration_path = str(metainfo['calibration'])
        if self.calibration_path is not None:
            self._load(self.calibration_path, views)

    def compute(self, keypoints: Tensor, confidences: Optional[Tensor] = None
                ) -> tuple[Tensor, Tensor]:
        """Per-view reprojection errors.

        Args:
            keypoints: ``(N, V, K, 2)`` predictions in each view's frame pixels.
            confidences: ``(N, V, K)`` confidences, or None (views weigh equally).

        Returns:
            ``(N, V, K)`` errors in pixels and the mask of valid elements.
        """
        if self.cameras is None:
            raise RuntimeError(f'{self._who} has no calibration: give calibration=<file.toml> '
                               'or a metainfo with a calibration entry')
        if keypoints.dim() != 4 or keypoints.shape[1] != len(self.cameras.names):
            raise ValueError(f'{self._who}: expected keypoints (N, V={len(self.cameras.names)}'
                             f', K, 2) for views {self.cameras.names}, got '
                             f'{tuple(keypoints.shape)}')
        pixels = keypoints.transpose(0, 1).to(torch.float64)  # (V, N, K, 2)
        confidences = None if confidences is None else confidences.transpose(0, 1).detach()
        points = triangulate_torch(pixels, self.cameras, confidences, self.prob_threshold)
        if self.detach_points3d:
            points = points.detach()
        triangulated = torch.isfinite(points).all(dim=-1)  # (N, K)
        seen = torch.isfinite(pixels[:, triangulated]).all(dim=-1)  # (V, M)
        observed = torch.where(seen[..., None], pixels[:, triangulated],
                               torch.zeros_like(pixels[:, triangulated]))
        errors = reprojection_errors_torch(points[triangulated], observed, self.cameras)
        loss = pixels.new_zeros(pixels.shape[:-1])
        valid = torch.zeros_like(loss, dtype=torch.bool)
        loss[:, triangulated] = torch.where(seen, errors, torch.zeros_like(errors))
        valid[:, triangulated] = seen
        return loss.transpose(0, 1).to(keypoints.dtype), valid.transpose(0, 1)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, calibration={self.calibration_path!r}, '
                f'prob_threshold={self.prob_threshold}, detach_points3d={self.detach_points3d}')
