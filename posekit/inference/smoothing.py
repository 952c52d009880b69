"""Plain smoothers of keypoint tracks, for when the Ensemble Kalman Smoother cannot serve.

Both work on ``(T, B)`` arrays: ``T`` frames of ``B`` independent coordinates (e.g. the
``x`` and ``y`` of every keypoint), in frame pixels, NaN where a coordinate is missing.

- :func:`kalman_smooth`: a constant-velocity Kalman filter and Rauch–Tung–Striebel smoother
  per coordinate. State ``(position, velocity)``, process noise = white acceleration of std
  ``q`` px/frame² (``Q = q² [[1/3, 1/2], [1/2, 1]]``), observation noise variance ``R``
  (given per frame, e.g. an ensemble's variance, or estimated from the track's second
  differences: ``R = (1.4826 MAD(Δ²y))² / 6``). The smoothing parameter ``q`` is given or
  chosen per coordinate by maximising the filter's innovation log-likelihood over a log grid.
  NaN frames get no update: the smoother bridges a gap with the constant-velocity motion
  fitted on both sides (a straight line across the gap for a straight track) and its
  variance grows inside the gap.
- :func:`savgol_smooth`: Savitzky–Golay (a least-squares polynomial of ``order`` over a
  sliding window of ``window`` frames; at the ends the first / last window's polynomial).
  NaN frames are first filled by linear interpolation (held constant before the first / after
  the last finite frame).

A coordinate NaN in every frame stays NaN.
"""
from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Candidate ``q / sqrt(R)`` ratios for the automatic smoothing parameter.
Q_RATIOS = np.logspace(-3, 1, 17)
_DIFFUSE = 1e8  # prior variance of the first state (px², (px/frame)²): effectively unknown


def noise_variance(observations: np.ndarray) -> np.ndarray:
    """Observation noise variance of each coordinate from its second differences.

    A constant-velocity track has zero second difference, so the differences of a noisy one
    are the noise's: ``Var(Δ²y) = 6 R``; the median absolute deviation makes it robust.

    Args:
        observations: ``(T, B)`` frame pixels, NaN where missing.

    Returns:
        ``(B,)`` variances (px²), at least ``1e-6``; NaN for a coordinate with fewer than 3
        consecutive finite frames.
    """
    second = np.diff(observations, n=2, axis=0)
    out = np.full(observations.shape[1], np.nan)
    for b in range(observations.shape[1]):
        values = second[:, b][np.isfinite(second[:, b])]
        if values.size:
            mad = np.median(np.abs(values - np.median(values)))
            out[b] = max((1.4826 * mad) ** 2 / 6, 1e-6)
    return out


def _kalman_pass(y: np.ndarray, r: np.ndarray, q: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filter and smooth ``(T, B)`` observations; returns means, variances and log-likelihoods.

    Args:
        y: ``(T, B)`` observations (NaN = missing).
        r: ``(T, B)`` observation noise variances.
        q: ``(B,)`` process noise std (px/frame²).

    Returns:
        ``(T, B)`` smoothed positions, ``(T, B)`` their variances and ``(B,)`` innovation
        log-likelihoods of the observed frames.
    """
    num_frames, batch = y.shape
    transition = np.array([[1., 1.], [0., 1.]])
    noise = q[:, None, None] ** 2 * np.array([[1 / 3, 1 / 2], [1 / 2, 1.]])
    first = np.array([y[np.isfinite(y[:, b]), b][0] for b in range(batch)])
    mean = np.stack([first, np.zeros(batch)], axis=1)           # (B, 2)
    cov = np.tile(np.eye(2) * _DIFFUSE, (batch, 1, 1))            # (B, 2, 2)
    means, covs = np.empty((num_frames, batch, 2)), np.empty((num_frames, batch, 2, 2))
    pred_means, pred_covs = np.empty_like(means), np.empty_like(covs)
    loglik = np.zeros(batch)
    for t in range(num_frames):
        if t:
            mean = mean @ transition.T
            cov = transition @ cov @ transition.T + noise
        pred_means[t], pred_covs[t] = mean, cov
        seen = np.isfinite(y[t])
        if seen.any():
            s = cov[seen, 0, 0] + r[t, seen]
            gain = cov[seen, :, 0] / s[:, None]                   # (b, 2)
            innovation = y[t, seen] - mean[seen, 0]
            mean = mean.copy()
            cov = cov.copy()
            mean[seen] += gain * innovation[:, None]
            cov[seen] -= gain[:, :, None] * cov[seen, 0, None, :]
            if t:  # the first observation only anchors the diffuse prior
                loglik[seen] -= 0.5 * (np.log(2 * np.pi * s) + innovation ** 2 / s)
        means[t], covs[t] = mean, cov
    for t in range(num_frames - 2, -1, -1):
        gain = covs[t] @ transition.T @ np.linalg.inv(pred_covs[t + 1])
        means[t] = means[t] + np.einsum('bij,bj->bi', gain, means[t + 1] - pred_means[t + 1])
        covs[t] = covs[t] + gain @ (covs[t + 1] - pred_covs[t + 1]) @ gain.transpose(0, 2, 1)
    return means[..., 0], covs[..., 0, 0], loglik


def kalman_smooth(observations: np.ndarray, obs_variance: Optional[np.ndarray] = None,
                  smooth_param: Optional[float] = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constant-velocity Kalman (RTS) smoothing of every coordinate (see the module doc).

    Args:
        observations: ``(T, B)`` frame pixels, NaN where missing.
        obs_variance: ``(T, B)`` observation noise variances (px²), e.g. an ensemble's
            variance of each coordinate; None estimates one per coordinate
            (:func:`noise_variance`). Values are floored at ``1e-6``.
        smooth_param: Process noise std ``q`` (px/frame²) for all coordinates; smaller is
            smoother. None chooses it per coordinate from ``sqrt(median R) * Q_RATIOS`` by
            the filter's log-likelihood.

    Returns:
        ``(T, B)`` smoothed positions, ``(T, B)`` posterior variances (px²) and ``(B,)``
        the ``q`` used; all NaN for a coordinate without a finite frame.

    Raises:
        ValueError: Shapes do not match, or ``smooth_param`` is not positive.
    """
    y = np.asarray(observations, dtype=float)
    if y.ndim != 2:
        raise ValueError(f'observations must have shape (T, B), got {y.shape}')
    if smooth_param is not None and not smooth_param > 0:
        raise ValueError(f'smooth_param must be positive, got {smooth_param}')
    if obs_variance is None:
        r = np.broadcast_to(noise_variance(y), y.shape).copy()
    else:
        r = np.asarray(obs_variance, dtype=float)
        if r.shape != y.shape:
            raise ValueError(f'obs_variance has shape {r.shape}, observations {y.shape}')
    usable = np.isfinite(y).any(axis=0)
    r[:, usable] = np.nan_to_num(r[:, usable], nan=np.nanmedian(r[:, usable]) if
                                 np.isfinite(r[:, usable]).any() else 1.)
    r = np.maximum(r, 1e-6)
    smoothed, variance = np.full(y.shape, np.nan), np.full(y.shape, np.nan)
    used = np.full(y.shape[1], np.nan)
    if not usable.any():
        return smoothed, variance, used
    yu, ru = y[:, usable], r[:, usable]
    if smooth_param is not None:
        q = np.full(yu.shape[1], float(smooth_param))
    else:
        scale = np.sqrt(np.median(ru, axis=0))
        logliks = np.stack([_kalman_pass(yu, ru, scale * ratio)[2] for ratio in Q_RATIOS])
        q = scale * Q_RATIOS[np.argmax(logliks, axis=0)]
    smoothed[:, usable], variance[:, usable], _ = _kalman_pass(yu, ru, q)
    used[usable] = q
    return smoothed, variance, used


def _fill_gaps(y: np.ndarray) -> np.ndarray:
    """Linear interpolation of NaN frames, constant beyond the first / last finite frame."""
    out = y.copy()
    frames = np.arange(len(y))
    for b in range(y.shape[1]):
        seen = np.isfinite(y[:, b])
        if seen.any():
            out[:, b] = np.interp(frames, frames[seen], y[seen, b])
    return out


def savgol_smooth(observations: np.ndarray, window: int = 7, order: int = 2) -> np.ndarray:
    """Savitzky–Golay smoothing of every coordinate (see the module doc).

    Args:
        observations: ``(T, B)`` frame pixels, NaN where missing.
        window: Frames per fit (odd, more than ``order``, at most ``T``).
        order: Polynomial degree.

    Returns:
        ``(T, B)`` smoothed positions; NaN only for coordinates without a finite frame.

    Raises:
        ValueError: ``window`` is even, not above ``order`` or longer than the track.
    """
    y = np.asarray(observations, dtype=float)
    if window % 2 == 0 or window <= order or window > len(y):
        raise ValueError(f'window must be odd, above order={order} and at most the '
                         f'{len(y)} frames; got {window}')
    offsets = np.arange(window, dtype=float)
    vander = offsets[:, None] ** np.arange(order + 1)
    projection = vander @ np.linalg.pinv(vander)           # row j: value at offset j
    windows = sliding_window_view(_fill_gaps(y), window, axis=0)   # (T-w+1, B, w)
    half = window // 2
    starts = np.clip(np.arange(len(y)) - half, 0, len(y) - window)
    rows = projection[np.arange(len(y)) - starts]           # (T, w)
    return np.einsum('tw,tbw->tb', rows, windows[starts])
