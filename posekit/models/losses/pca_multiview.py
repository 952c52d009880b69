"""The multi-view PCA loss: the views of a body part should agree on one 3-D position."""
from collections.abc import Sequence
from typing import Optional, Union

import torch
from torch import Tensor

from posekit.datasets.metainfo import KeypointRef, keypoint_indices, view_keypoints
from posekit.registry import LOSSES
from .pca import ArrayLike, PCALoss


@LOSSES.register_module()
class PCAMultiViewLoss(PCALoss):
    """Multi-view PCA loss: the views of a body part should agree on one 3-D position.

    Views sharing one frame (mirrors): ``views`` names the views (``metainfo.views``) or
    lists, per view, the keypoints of the same body parts in the same order (LP's
    ``mirrored_column_matches``); keypoints are ``(N, K, 2)``.

    Separate cameras (the metainfo's ``view_names``, a multiview model): every view labels
    the same body parts (matched by keypoint name), keypoints are ``(N, V, K, 2)`` in each
    view's frame pixels, and ``views`` names the cameras to use (None: all).

    Each PCA row is one body part in one frame, ``[x_v0, y_v0, x_v1, y_v1, …]``; for
    calibrated-like views these rows lie in a 3-D affine subspace, hence
    ``components_to_keep=3``. ``compute`` returns per keypoint ``‖p − reconstruction‖``:
    ``(N, n_views * n_bodyparts)`` in view-major order (view 0's body parts, then view 1's,
    …) for mirror views, ``(N, n_views, K)`` for cameras; a body part with a NaN coordinate in
    any view is excluded in all views.

    Args:
        views: View (or camera) names; or per mirror view a list of keypoint names (or
            indices), equal lengths, at least two views; None: every view the metainfo
            declares.
        components_to_keep: Number of components (3 for the 3-D structure) or a fraction.
        **kwargs: :class:`PCALoss` arguments (``epsilon``, ``epsilon_percentile``, ...).
    """

    name = 'pca_multiview'
    view_axis = True

    def __init__(self, views: Optional[Sequence[Union[str, Sequence[KeypointRef]]]] = None,
                 components_to_keep: Union[int, float] = 3, **kwargs):
        super().__init__(components_to_keep=components_to_keep, **kwargs)
        self.views = None if views is None else [
            v if isinstance(v, str) else list(v) for v in views]
        #: Per view, keypoint indices once known (given as indices, or resolved by bind);
        #: for cameras, indices into the views' keypoints flattened to ``V * K``.
        self.view_columns: Optional[list[list[int]]] = None
        #: ``(V, K)`` of a multiview model's keypoints (separate cameras), else None.
        self.camera_shape: Optional[tuple[int, int]] = None
        if self.views is not None and all(
                not isinstance(v, str) and all(isinstance(k, int) for k in v)
                for v in self.views):
            self._set_columns(self.views)

    def _set_columns(self, views: list[list[int]]) -> None:
        flat = [c for view in views for c in view]
        if len(views) < 2 or not views[0] or len({len(v) for v in views}) != 1 \
                or len(set(flat)) != len(flat):
            raise ValueError(f'{self._who}: views must give distinct keypoints for at least '
                             f'two views of equal length, got {views}')
        self.view_columns = [list(v) for v in views]

    def bind(self, codec, metainfo: Optional[dict]) -> None:
        """Resolve view and keypoint names to indices through the dataset metainfo.

        Raises:
            KeyError: An unknown view or camera name.
            ValueError: Keypoint lists given for separate cameras.
        """
        if metainfo is None:
            return
        if metainfo.get('view_names'):
            self._bind_cameras(list(metainfo['view_names']), int(metainfo['num_keypoints']))
        elif self.views is None or all(isinstance(v, str) for v in self.views):
            self._set_columns(view_keypoints(metainfo, self.views, self._who))
        else:
            self._set_columns([keypoint_indices(metainfo['keypoint_names'], v, self._who)
                               for v in self.views])

    def _bind_cameras(self, cameras: list[str], num_keypoints: int) -> None:
        """Columns of the named cameras in keypoints flattened from ``(V, K)`` to ``V * K``."""
        views = cameras if self.views is None else self.views
        if not all(isinstance(v, str) for v in views):
            raise ValueError(f'{self._who}: the views are separate cameras {cameras} that label '
                             'the same keypoints; give views as camera names, not keypoints')
        unknown = [v for v in views if v not in cameras]
        if unknown:
            raise KeyError(f'{self._who}: unknown camera view(s) {unknown}; the metainfo\'s '
                           f'view_names are {cameras}')
        self.camera_shape = (len(cameras), num_keypoints)
        self._set_columns([[cameras.index(v) * num_keypoints + k for k in range(num_keypoints)]
                           for v in views])

    def _flatten_cameras(self, keypoints: Tensor) -> Tensor:
        """``(N, V, K, 2)`` camera keypoints → ``(N, V * K, 2)``; mirror keypoints unchanged.

        Raises:
            ValueError: Keypoints without the expected view axis, or with one for a loss
                bound to mirror views.
        """
        if self.camera_shape is None:
            if keypoints.dim() == 4:
                raise ValueError(f'{self._who} got keypoints with a view axis '
                                 f'{tuple(keypoints.shape)}, but the metainfo names no '
                                 'camera views (view_names)')
            return keypoints
        if keypoints.dim() != 4 or tuple(keypoints.shape[1:3]) != self.camera_shape:
            raise ValueError(f'{self._who}: expected keypoints (N, V, K, 2) with (V, K) = '
                             f'{self.camera_shape}, got {tuple(keypoints.shape)}')
        return keypoints.flatten(1, 2)

    @torch.no_grad()
    def fit(self, keypoints: ArrayLike) -> dict:
        """:meth:`PCALoss.fit` on ``(N, K, 2)`` labels, or ``(N, V, K, 2)`` for cameras."""
        return super().fit(self._flatten_cameras(torch.as_tensor(keypoints)))

    def _errors(self, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`PCALoss._errors`, per camera view ``(N, n_views, K)`` for cameras."""
        errors, valid = super()._errors(self._flatten_cameras(keypoints))
        if self.camera_shape is None:
            return errors, valid
        shape = (len(self.view_columns), self.camera_shape[1])
        return errors.unflatten(1, shape), valid.unflatten(1, shape)

    @property
    def keypoint_indices(self) -> list[int]:
        if self.view_columns is None:
            raise RuntimeError(f'{self._who} names views or keypoints: build it inside a '
                               'PoseTracker (or call bind) to resolve them')
        return [c for view in self.view_columns for c in view]

    def to_rows(self, keypoints: Tensor) -> Tensor:
        """``(N, K, 2)`` → ``(N * n_bodyparts, 2 * n_views)``, frame-major."""
        n_views, n_parts = len(self.view_columns), len(self.view_columns[0])
        points = keypoints[:, self.keypoint_indices].unflatten(1, (n_views, n_parts))
        return points.transpose(1, 2).flatten(2).flatten(0, 1)

    def to_keypoints(self, values: Tensor, n: int) -> Tensor:
        """``(N * n_bodyparts, n_views)`` → ``(N, n_views * n_bodyparts)``, view-major."""
        return values.unflatten(0, (n, len(self.view_columns[0]))).transpose(1, 2).flatten(1)

    def extra_repr(self) -> str:
        return f'views={self.views}, view_columns={self.view_columns}, ' + super().extra_repr()
