"""The Ensemble Kalman Smoother (``ensemble-kalman-smoother``, ``pip install 'posekit[eks]'``).

EKS (Biderman et al., Lightning Pose) takes several models' predictions of a video: their
median per frame is the observation, their variance the observation noise, and a Kalman
smoother per keypoint (single view) or per body part across views (multi-view: the views'
coordinates are tied by a PCA latent, so a keypoint badly seen in one view is corrected by
the others) yields one trajectory with a posterior variance. The smoothing parameter is
chosen by EKS (by the smoother's likelihood) unless given; smaller smooths more.

This module only adapts arrays to the package's ``MarkerArray`` and back; the smoothing is
the package's.
"""
import importlib.util
from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np

#: Per-keypoint output fields, as EKS names them.
FIELDS = ('x', 'y', 'x_ens_median', 'y_ens_median', 'x_ens_var', 'y_ens_var',
          'x_posterior_var', 'y_posterior_var')


def eks_available() -> bool:
    """Whether the ``ensemble-kalman-smoother`` package (module ``eks``) is installed."""
    return importlib.util.find_spec('eks') is not None


def _marker_array(keypoints: np.ndarray, likelihoods: np.ndarray):
    """``MarkerArray`` of ``(M, C, T, K, 2)`` keypoints and ``(M, C, T, K)`` likelihoods."""
    from eks.marker_array import MarkerArray
    likelihood = np.where(np.isfinite(likelihoods), likelihoods, 1.)
    return MarkerArray(np.concatenate([keypoints, likelihood[..., None]], axis=-1),
                       data_fields=['x', 'y', 'likelihood'])


def _fields(df, names: Sequence[str]) -> np.ndarray:
    """``(T, K, len(FIELDS))`` of an EKS output table with keypoints ``names``."""
    by_part = {part: df.xs(part, axis=1, level=1) for part in names}
    return np.stack([np.stack([by_part[part].xs(f, axis=1, level=-1).to_numpy(float)[:, 0]
                               for f in FIELDS], axis=-1) for part in names], axis=1)


def eks_smooth(keypoints: np.ndarray, likelihoods: np.ndarray, names: Sequence[str],
               views: Optional[Mapping[str, Sequence[str]]] = None,
               smooth_param: Optional[float] = None) -> tuple[np.ndarray, list[float]]:
    """Smooth an ensemble's predictions with EKS.

    Args:
        keypoints: ``(M, T, K, 2)`` the members' predictions, frame pixels, all finite.
        likelihoods: ``(M, T, K)`` their confidences (NaN: the plain variance is used).
        names: The ``K`` keypoint names.
        views: View name → its keypoint names (the same body parts in the same order in
            every view), from the model's metainfo; with two or more views those keypoints
            are smoothed by the multi-view EKS, the others by the single-view one.
        smooth_param: The smoothing parameter, or None to let EKS choose it.

    Returns:
        ``(T, K, 8)`` values of :data:`FIELDS` per frame and keypoint, and the smoothing
        parameters EKS used (one per single-view keypoint, then one per body part of the
        views).

    Raises:
        ImportError: The package is not installed.
        ValueError: Fewer than two members, or a NaN prediction.
    """
    if not eks_available():
        raise ImportError("EKS needs the ensemble-kalman-smoother package: pip install "
                          "'posekit[eks]'")
    from eks.multicam_smoother import ensemble_kalman_smoother_multicam
    from eks.singlecam_smoother import ensemble_kalman_smoother_singlecam
    keypoints = np.asarray(keypoints, dtype=float)
    if len(keypoints) < 2:
        raise ValueError(f'EKS needs at least two ensemble members, got {len(keypoints)}')
    if not np.isfinite(keypoints).all():
        raise ValueError('EKS needs finite predictions; smooth tracks with NaN frames with '
                         'the plain Kalman smoother')
    var_mode = 'confidence_weighted_var' if np.isfinite(likelihoods).all() else 'var'
    names = list(names)
    view_lists = [list(members) for members in (views or {}).values()] \
        if views and len(views) > 1 else []
    in_views = {name for members in view_lists for name in members}
    single = [k for k, name in enumerate(names) if name not in in_views]
    out = np.full(keypoints.shape[1:3] + (len(FIELDS),), np.nan)
    params: list[float] = []
    if single:
        # the package squeezes a lone keypoint's axis away: give it a twin, keep one
        twin = single * 2 if len(single) == 1 else single
        parts = [f'{names[k]}_{i}' for i, k in enumerate(twin)]
        df, s = ensemble_kalman_smoother_singlecam(
            _marker_array(keypoints[:, None, :, twin], likelihoods[:, None, :, twin]),
            parts, smooth_param=smooth_param, var_mode=var_mode)
        out[:, single] = _fields(df, parts[:len(single)])
        params += np.atleast_1d(np.asarray(s, dtype=float)).tolist()[:len(single)]
    if view_lists:
        index = [[names.index(name) for name in members] for members in view_lists]
        parts = [f'part{i}' for i in range(len(index[0]))]
        stacked = np.stack([keypoints[:, :, idx] for idx in index], axis=1)   # (M, C, T, B, 2)
        stacked_lh = np.stack([likelihoods[:, :, idx] for idx in index], axis=1)
        camera_dfs, s, _ = ensemble_kalman_smoother_multicam(
            _marker_array(stacked, stacked_lh), parts, [f'view{c}' for c in range(len(index))],
            smooth_param=smooth_param, var_mode=var_mode)
        for idx, df in zip(index, camera_dfs):
            out[:, idx] = _fields(df, parts)
        params += np.atleast_1d(np.asarray(s, dtype=float)).tolist()
    return out, params
