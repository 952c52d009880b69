"""PCA losses: keep predictions near the low-dimensional structure of the training labels.

A PCA loss is fit once, before training (``PCAFitHook``), on the training labels in frame
pixels. Each row of the PCA is a vector of ``(x, y)`` pairs: one frame over some keypoints
(single view) or one body part in one frame seen from every view (multi view, whose rows lie
in a 3-D subspace: the body part's position in space). The loss of a prediction is the
Euclidean distance, per keypoint, between the prediction and its reconstruction from the kept
principal components, rectified by ``epsilon`` (by default the 99th percentile of the training
labels' own errors).

The fit lives in buffers saved with the model (``mean``, ``components``, ``epsilon``,
``fitted``), so a resumed or loaded checkpoint carries its PCA; ``mean`` and ``components`` are
``None`` until fitted and take the checkpoint's shapes when a state dict is loaded.
"""
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

from posekit.datasets.metainfo import KeypointRef, keypoint_indices, view_keypoints
from posekit.registry import LOSSES
from .base import Loss

ArrayLike = Union[Tensor, np.ndarray]


def pairwise_covariance(rows: Tensor, mean: Tensor) -> Tensor:
    """Covariance matrix from pairwise-complete observations.

    Entry ``(i, j)`` is ``sum((x_i - mean_i) (x_j - mean_j)) / (n_ij - 1)`` over the ``n_ij``
    rows where both coordinates are present, with deviations taken from ``mean`` (the column
    nanmeans). Without missing values this equals ``np.cov(rows.T)``; with them the matrix may
    not be positive semi-definite (negative eigenvalues are clipped by
    :func:`principal_axes`).

    Args:
        rows: ``(R, D)`` observations, NaN where missing.
        mean: ``(D,)`` column means.

    Returns:
        ``(D, D)`` covariance.
    """
    present = ~rows.isnan()
    deviations = torch.where(present, rows - mean, torch.zeros_like(rows))
    counts = present.to(rows.dtype)
    return deviations.T @ deviations / (counts.T @ counts - 1)


def principal_axes(covariance: Tensor) -> tuple[Tensor, Tensor]:
    """Eigen-decomposition sorted by decreasing variance.

    Args:
        covariance: ``(D, D)`` symmetric matrix.

    Returns:
        ``(variances (D,), axes (D, D))``: variances clipped at 0, in decreasing order, and the
        unit eigenvectors as columns in the same order.
    """
    values, vectors = torch.linalg.eigh(covariance)
    return values.flip(0).clamp_min(0), vectors.flip(1)


def reconstruction_residuals(rows: Tensor, mean: Tensor, components: Tensor) -> Tensor:
    """Rows minus their projection onto the affine subspace ``mean + span(components)``.

    Args:
        rows: ``(R, D)`` observations.
        mean: ``(D,)`` centre of the subspace.
        components: ``(D, k)`` orthonormal basis.

    Returns:
        ``(R, D)`` residuals.
    """
    centred = rows - mean
    return centred - centred @ components @ components.T


def pair_norms(values: Tensor) -> Tensor:
    """Euclidean norm of each consecutive ``(x, y)`` pair: ``(R, D)`` → ``(R, D/2)``."""
    return torch.linalg.vector_norm(values.unflatten(-1, (-1, 2)), dim=-1)


def check_components_to_keep(value: Union[int, float]) -> Union[int, float]:
    """Validate ``components_to_keep``: a count (int ≥ 1) or a variance fraction in (0, 1]."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, float) and 0 < value <= 1:
        return value
    raise ValueError('components_to_keep must be a positive int (a count) or a float in '
                     f'(0, 1] (a fraction of the variance), got {value!r}')


class PCALoss(Loss):
    """Base of the PCA losses: fitting, checkpointed buffers and the reconstruction error.

    ``compute`` returns the per-keypoint reconstruction error ``(N, K_used)`` in frame
    pixels (column ``j`` is keypoint ``keypoint_indices[j]``). A row (see the subclass) with a
    NaN coordinate has no reconstruction: its keypoints are excluded from the mean and get no
    gradient.

    Subclasses define how keypoints become PCA rows (:meth:`to_rows`), how per-row errors map
    back to keypoints (:meth:`to_keypoints`) and :attr:`keypoint_indices`.

    Args:
        components_to_keep: Number of principal components (int), or the smallest number
            whose cumulative variance reaches this fraction (float in (0, 1]).
        epsilon: Dead zone in pixels: a number, one per used keypoint, or None for the
            empirical value ``epsilon_multiplier * percentile(training errors,
            epsilon_percentile)`` computed at fit time. A fixed value from the config is kept
            when a checkpoint is loaded.
        epsilon_percentile: Percentile (0-100) of the training labels' reconstruction errors
            (rows without NaN) used as the empirical epsilon.
        epsilon_multiplier: Multiplier of the empirical epsilon.
        **kwargs: Other :class:`Loss` arguments.
    """

    default_data_info = dict(keypoints='keypoints_pred')
    #: Buffers that are None until fitted and take a loaded state dict's shapes.
    lazy_buffers = ('mean', 'components')

    def __init__(self, components_to_keep: Union[int, float],
                 epsilon: Union[None, float, Sequence[float]] = None,
                 epsilon_percentile: float = 99., epsilon_multiplier: float = 1., **kwargs):
        super().__init__(epsilon=0. if epsilon is None else epsilon, **kwargs)
        if not 0 <= epsilon_percentile <= 100:
            raise ValueError(f'{type(self).__name__}: epsilon_percentile must be in [0, 100], '
                             f'got {epsilon_percentile}')
        self.components_to_keep = check_components_to_keep(components_to_keep)
        self.fixed_epsilon = epsilon
        self.epsilon_percentile = float(epsilon_percentile)
        self.epsilon_multiplier = float(epsilon_multiplier)
        # the base class's epsilon is not saved; a fitted (empirical) epsilon must be
        self.register_buffer('epsilon', self.epsilon, persistent=True)
        self.register_buffer('fitted', torch.tensor(False))
        for name in self.lazy_buffers:
            self.register_buffer(name, None)
        #: Statistics of the last :meth:`fit` in this process (empty after loading).
        self.fit_info: dict = {}

    # -- what subclasses define ----------------------------------------------------------
    @property
    def keypoint_indices(self) -> list[int]:
        """Frame keypoint index of each column of the error ``(N, K_used)``."""
        raise NotImplementedError

    def to_rows(self, keypoints: Tensor) -> Tensor:
        """PCA rows ``(R, D)`` of keypoints ``(N, K, 2)``; NaN coordinates stay NaN."""
        raise NotImplementedError

    def to_keypoints(self, values: Tensor, n: int) -> Tensor:
        """Per-row values ``(R, D/2)`` of ``n`` frames → per keypoint ``(n, K_used)``."""
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------
    @torch.no_grad()
    def fit(self, keypoints: ArrayLike) -> dict:
        """Fit the PCA and the empirical epsilon on training labels.

        The mean is the column nanmean and the covariance uses pairwise-complete observations
        (:func:`pairwise_covariance`), so frames with unlabeled keypoints still contribute;
        the empirical epsilon uses the errors of rows without NaN only.

        Args:
            keypoints: ``(N, K, 2)`` labels in frame pixels, NaN for unlabeled.

        Returns:
            :attr:`fit_info`: ``rows``, ``complete_rows``, ``dim``, ``components``,
            ``variance_explained`` (fraction of the variance the kept components explain).

        Raises:
            ValueError: Fewer rows without NaN than dimensions, or more components asked for
                than dimensions.
        """
        points = torch.as_tensor(keypoints).detach().to('cpu', torch.float64)
        if points.ndim != 3 or points.shape[-1] != 2:
            raise ValueError(f'{self._who}: fit expects keypoints (N, K, 2), got '
                             f'{tuple(points.shape)}')
        rows = self.to_rows(points)
        complete = ~rows.isnan().any(-1)
        n_complete, dim = int(complete.sum()), rows.shape[-1]
        if n_complete < dim:
            raise ValueError(f'{self._who}: cannot fit PCA with {n_complete} complete rows '
                             f'(without NaN) in {dim} dimensions; it needs at least {dim}')
        mean = rows.nanmean(0)
        variances, axes = principal_axes(pairwise_covariance(rows, mean))
        ratios = variances / variances.sum().clamp_min(torch.finfo(variances.dtype).tiny)
        n_keep = self._n_components(ratios)
        components = axes[:, :n_keep]
        device = self.fitted.device
        if self.fixed_epsilon is None:
            errors = pair_norms(reconstruction_residuals(rows[complete], mean, components))
            value = np.percentile(errors.numpy(), self.epsilon_percentile)
            self.epsilon = torch.tensor(value * self.epsilon_multiplier, dtype=torch.float32,
                                        device=device)
        self.mean = mean.to(device, torch.float32)
        self.components = components.to(device, torch.float32)
        self.fitted.fill_(True)
        self.fit_info = dict(rows=len(rows), complete_rows=n_complete, dim=dim,
                             components=n_keep,
                             variance_explained=float(ratios[:n_keep].sum()))
        return self.fit_info

    def _n_components(self, ratios: Tensor) -> int:
        """Components to keep given the variance ratios ``(D,)`` in decreasing order."""
        keep, dim = self.components_to_keep, len(ratios)
        if isinstance(keep, int):
            if keep > dim:
                raise ValueError(f'{self._who}: components_to_keep={keep} exceeds the '
                                 f'dimension {dim}')
            return keep
        cumulative = ratios.cumsum(0)
        return min(int((cumulative < keep - 1e-9).sum()) + 1, dim)

    # -- errors --------------------------------------------------------------------------
    def _errors(self, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Per-keypoint reconstruction errors (0 where invalid) and the validity mask.

        Computed in float32 with autocast off: bf16 would cost about a pixel of precision.
        """
        if not self.fitted:
            raise RuntimeError(f'{self._who} must be fit first: call fit(keypoints) on the '
                               'training labels (PCAFitHook does it before training)')
        with torch.autocast(keypoints.device.type, enabled=False):
            points = keypoints.float()
            complete = ~self.to_rows(points.detach()).isnan().any(-1)
            rows = self.to_rows(torch.where(points.isnan(), torch.zeros_like(points), points))
            if rows.shape[-1] != self.mean.numel():
                raise ValueError(f'{self._who} was fit on rows of {self.mean.numel()} values, '
                                 f'got {rows.shape[-1]} from keypoints {tuple(keypoints.shape)}')
            errors = pair_norms(reconstruction_residuals(rows, self.mean, self.components))
        valid = complete.unsqueeze(-1).expand_as(errors)
        n = keypoints.shape[0]
        return self.to_keypoints(errors, n).to(keypoints.dtype), self.to_keypoints(valid, n)

    def reconstruction_error(self, keypoints: ArrayLike) -> Tensor:
        """Distance between each keypoint and its PCA reconstruction.

        Args:
            keypoints: ``(N, K, 2)`` keypoints in frame pixels (all K frame keypoints).

        Returns:
            ``(N, K_used)`` errors in pixels, column ``j`` for keypoint
            ``keypoint_indices[j]``; NaN where the keypoint's row has a NaN coordinate.
        """
        errors, valid = self._errors(torch.as_tensor(keypoints, device=self.fitted.device))
        return errors.masked_fill(~valid, float('nan'))

    def compute(self, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Reconstruction errors ``(N, K_used)`` (0 where invalid) and their validity mask.

        Args:
            keypoints: ``(N, K, 2)`` predictions in frame pixels.
        """
        return self._errors(keypoints)

    # -- checkpoints and reporting -------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Give the fitted buffers the shapes of the state dict's before loading them."""
        fitted = state_dict.get(prefix + 'fitted')
        for name in (*self.lazy_buffers, 'epsilon'):
            value = state_dict.get(prefix + name)
            if value is not None:
                self._buffers[name] = torch.empty_like(value, device=self.fitted.device)
            elif name in self.lazy_buffers and fitted is not None and not fitted:
                self._buffers[name] = None
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)
        if self.fixed_epsilon is not None:
            self.epsilon = torch.as_tensor(self.fixed_epsilon, dtype=torch.float32,
                                           device=self.fitted.device)
        self.fit_info = {}

    @property
    def _who(self) -> str:
        return f'{type(self).__name__} ({self.name!r})'

    def describe(self) -> str:
        """One line on the fit: components, variance explained (if fit here), epsilon."""
        if not self.fitted:
            return 'not fitted'
        dim, kept = self.components.shape
        text = f'{kept} of {dim} components'
        if self.fit_info:
            text += (f' explaining {self.fit_info["variance_explained"]:.2%} of the variance, '
                     f'{self.fit_info["complete_rows"]} of {self.fit_info["rows"]} rows '
                     'complete')
        epsilon = self.epsilon.flatten().tolist()
        return text + ', epsilon ' + ', '.join(f'{e:.3g}' for e in epsilon) + ' px'

    def extra_repr(self) -> str:
        return f'components_to_keep={self.components_to_keep}, ' + super().extra_repr()


@LOSSES.register_module()
class PCASingleViewLoss(PCALoss):
    """Single-view PCA loss: each frame's pose should lie near the training poses' subspace.

    Each PCA row is one frame, ``[x_0, y_0, x_1, y_1, …]`` over the used keypoints; with
    ``centre_per_frame`` each frame's mean keypoint position (over those keypoints, NaN
    ignored) is subtracted first, so the PCA describes shape and not position (LP's centred
    option). ``compute`` returns ``‖p_j − reconstruction_j‖`` per frame and used keypoint
    ``j``, ``(N, K_used)``, in frame pixels; a frame with any NaN coordinate among the used
    keypoints is excluded entirely.

    Args:
        keypoints: Keypoints to use, by name (or index); None with ``views`` None: the
            keypoints of every view the metainfo declares, or all keypoints without views.
        views: Names of views (``metainfo.views``) whose keypoints are used, in order.
        centre_per_frame: Subtract each frame's mean keypoint position before the PCA.
        components_to_keep: A count, or a variance fraction (default 0.99: the fewest
            components explaining at least 99% of the variance).
        **kwargs: :class:`PCALoss` arguments (``epsilon``, ``epsilon_percentile``, ...).
    """

    name = 'pca_singleview'

    def __init__(self, keypoints: Optional[Sequence[KeypointRef]] = None,
                 views: Optional[Sequence[str]] = None, centre_per_frame: bool = False,
                 components_to_keep: Union[int, float] = 0.99, **kwargs):
        super().__init__(components_to_keep=components_to_keep, **kwargs)
        if keypoints is not None and views is not None:
            raise ValueError(f'{self._who}: give keypoints or views, not both')
        if keypoints is not None and (not keypoints or len(set(keypoints)) != len(keypoints)):
            raise ValueError(f'{self._who}: keypoints must be distinct, got {keypoints}')
        self.keypoints = None if keypoints is None else list(keypoints)
        self.views = None if views is None else list(views)
        self.centre_per_frame = centre_per_frame
        #: Keypoint indices once known (given as indices, or resolved by :meth:`bind`).
        self.columns: Optional[list[int]] = None
        if self.keypoints is not None and all(isinstance(k, int) for k in self.keypoints):
            self.columns = list(self.keypoints)

    def bind(self, codec, metainfo: Optional[dict]) -> None:
        """Resolve keypoint / view names to indices through the dataset metainfo."""
        if metainfo is None:
            return
        if self.keypoints is not None:
            self.columns = keypoint_indices(metainfo['keypoint_names'], self.keypoints,
                                            self._who)
        elif self.views is not None or metainfo.get('views'):
            self.columns = [i for view in view_keypoints(metainfo, self.views, self._who)
                            for i in view]

    @property
    def keypoint_indices(self) -> list[int]:
        if self.columns is not None:
            return list(self.columns)
        if self.keypoints is not None or self.views is not None:
            raise RuntimeError(f'{self._who} names keypoints or views: build it inside a '
                               'PoseTracker (or call bind) to resolve them')
        if not self.fitted:
            raise RuntimeError(f'{self._who} uses all keypoints; their number is known once '
                               'fitted')
        return list(range(self.mean.numel() // 2))

    def to_rows(self, keypoints: Tensor) -> Tensor:
        """``(N, K, 2)`` → ``(N, 2 * K_used)``."""
        uses_all = self.columns is None and self.keypoints is None and self.views is None
        points = keypoints if uses_all else keypoints[:, self.keypoint_indices]
        if self.centre_per_frame:
            points = points - points.nanmean(dim=1, keepdim=True)
        return points.flatten(1)

    def to_keypoints(self, values: Tensor, n: int) -> Tensor:
        """Rows are frames already: ``(N, K_used)`` unchanged."""
        return values

    def extra_repr(self) -> str:
        return (f'keypoints={self.keypoints}, views={self.views}, columns={self.columns}, '
                f'centre_per_frame={self.centre_per_frame}, ' + super().extra_repr())
