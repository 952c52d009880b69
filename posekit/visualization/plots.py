"""Diagnostic pictures of predictions (matplotlib, Agg canvas, PNG).

Figures are drawn on their own Agg canvas, never through ``pyplot``, so plotting works
headless and leaves no global figure state behind.
"""
from typing import Optional

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from posekit.atomic_io import atomic_output
from posekit.datasets.io import from_dataframe

#: Colours of the splits in every plot.
SPLIT_COLORS = {'train': 'tab:blue', 'validation': 'tab:orange', 'test': 'tab:green',
                'unused': 'tab:gray'}


def _save(fig: Figure, path: str) -> str:
    """Write ``fig`` to ``path`` atomically (temporary file in the same folder, renamed)."""
    FigureCanvasAgg(fig)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return path


def _split_color(split: str, order: int) -> str:
    return SPLIT_COLORS.get(split, f'C{order % 10}')


def plot_pixel_error_boxes(errors: pd.DataFrame, path: str) -> str:
    """Box plot of the pixel error of each keypoint, one box per split.

    Args:
        errors: ``predictions_pixel_error.csv`` as a table: one column per keypoint (frame
            pixels, NaN where unlabeled) and a ``set`` column.
        path: The PNG to write.

    Returns:
        ``path``.
    """
    names = [c for c in errors.columns if c != 'set']
    sets = errors['set'] if 'set' in errors else pd.Series('all', index=errors.index)
    splits = [s for s in SPLIT_COLORS if s in set(sets)] + \
        sorted(set(sets) - set(SPLIT_COLORS))
    fig = Figure(figsize=(max(6., 0.25 * len(names) * max(len(splits), 1) + 2.), 4.5),
                 layout='constrained')
    ax = fig.add_subplot()
    width = 0.8 / max(len(splits), 1)
    for i, split in enumerate(splits):
        table = errors.loc[sets == split, names].to_numpy(dtype=float)
        data = [column[np.isfinite(column)] for column in table.T]
        positions = np.arange(len(names)) + (i - (len(splits) - 1) / 2) * width
        boxes = ax.boxplot(data, positions=positions, widths=0.9 * width, patch_artist=True,
                           showfliers=True, flierprops=dict(markersize=2))
        for box in boxes['boxes']:
            box.set(facecolor=_split_color(split, i), alpha=0.7)
        ax.plot([], [], 's', color=_split_color(split, i), label=f'{split} ({len(table)})')
    ax.set_xticks(np.arange(len(names)), names, rotation=60, ha='right')
    ax.set_ylabel('pixel error (frame px)')
    ax.set_yscale('symlog', linthresh=1.)
    ax.set_ylim(bottom=0.)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(title='split (frames)', fontsize='small')
    return _save(fig, path)


def plot_calibration(predictions: pd.DataFrame, errors: pd.DataFrame, path: str,
                     bins: int = 10) -> Optional[str]:
    """Pixel error against confidence: every labeled keypoint, and the mean per bin.

    A well-calibrated model's error falls as its confidence rises.

    Args:
        predictions: ``predictions.csv`` as a DLC-format table with ``likelihood`` columns
            (and a ``set`` column).
        errors: ``predictions_pixel_error.csv`` as a table (same rows, one column per
            keypoint, ``set`` column).
        path: The PNG to write.
        bins: Equal-width confidence bins over [0, 1].

    Returns:
        ``path``, or None when the model has no confidences (nothing to plot).
    """
    names, _, likelihood = from_dataframe(predictions)
    if likelihood is None or not np.isfinite(likelihood).any():
        return None
    error = errors[names].to_numpy(dtype=float)
    sets = np.asarray(errors['set'] if 'set' in errors else ['all'] * len(errors))
    edges = np.linspace(0., 1., bins + 1)
    fig = Figure(figsize=(7., 4.5), layout='constrained')
    ax = fig.add_subplot()
    splits = [s for s in SPLIT_COLORS if s in set(sets)] + \
        sorted(set(sets) - set(SPLIT_COLORS))
    for i, split in enumerate(splits):
        conf, err = likelihood[sets == split].ravel(), error[sets == split].ravel()
        valid = np.isfinite(conf) & np.isfinite(err)
        conf, err = conf[valid], err[valid]
        color = _split_color(split, i)
        ax.scatter(conf, err, s=4, alpha=0.25, color=color, linewidths=0)
        which = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
        centres, means = [], []
        for b in range(bins):
            if (which == b).any():
                centres.append((edges[b] + edges[b + 1]) / 2)
                means.append(err[which == b].mean())
        ax.plot(centres, means, 'o-', color=color, label=f'{split}: mean per bin')
    ax.set_xlim(0., 1.)
    ax.set_xlabel('confidence')
    ax.set_ylabel('pixel error (frame px)')
    ax.set_yscale('symlog', linthresh=1.)
    ax.set_ylim(bottom=0.)
    ax.grid(alpha=0.3)
    ax.legend(fontsize='small')
    return _save(fig, path)


def _low_confidence_shading(ax, frames: np.ndarray, low: np.ndarray) -> None:
    """Shade the frames where ``low`` is True over the axis' full height."""
    if low.any():
        ax.fill_between(frames, 0, 1, where=low, step='mid', color='tab:red', alpha=0.25,
                        linewidth=0, transform=ax.get_xaxis_transform())


def plot_traces(predictions: pd.DataFrame, path: str, conf_threshold: float = 0.05,
                reference: Optional[np.ndarray] = None, colormap: str = 'rainbow') -> str:
    """x and y of every keypoint over time, low-confidence stretches shaded.

    One row per keypoint, x on the left and y on the right; frames whose confidence is
    below ``conf_threshold`` are shaded red (nothing is shaded when the model has no
    confidences).

    Args:
        predictions: A video's DLC-format predictions (index = frame number).
        path: The PNG to write.
        conf_threshold: Confidences below it are shaded.
        reference: Optional ``(T, K, 2)`` ground truth drawn in black under the traces.
        colormap: matplotlib colormap of the keypoint colours (as the labeled video).

    Returns:
        ``path``.
    """
    names, keypoints, likelihood = from_dataframe(predictions)
    frames = np.asarray(predictions.index, dtype=float)
    colors = matplotlib.colormaps[colormap](np.linspace(0., 1., max(len(names), 1)))
    fig = Figure(figsize=(12., 1.1 * len(names) + 0.8), layout='constrained')
    axes = fig.subplots(len(names), 2, sharex=True, squeeze=False)
    for k, name in enumerate(names):
        low = likelihood[:, k] < conf_threshold if likelihood is not None \
            else np.zeros(len(frames), bool)
        for c, coord in enumerate('xy'):
            ax = axes[k, c]
            if reference is not None:
                ax.plot(frames, reference[:len(frames), k, c], color='black', linewidth=0.6,
                        alpha=0.6)
            ax.plot(frames, keypoints[:, k, c], color=colors[k], linewidth=0.8)
            _low_confidence_shading(ax, frames, low)
            ax.set_ylabel(f'{name}\n{coord} (px)', fontsize='x-small')
            ax.tick_params(labelsize='x-small')
    for ax in axes[-1]:
        ax.set_xlabel('frame')
    title = f'red: confidence < {conf_threshold:g}'
    if reference is not None:
        title += '; black: ground truth'
    fig.suptitle(title, fontsize='small')
    return _save(fig, path)
