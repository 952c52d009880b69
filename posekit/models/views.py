"""The view axis of multiview models: fold the views into the batch and unfold them after.

A multiview model (separate cameras, the metainfo's ``view_names``) runs the ``V`` views of a
sample as ``V`` independent images of one backbone batch: the tracker folds the view axis
into the batch axis (``(N, V, ...)`` → ``(N·V, ...)``, sample-major), runs the single-view
path and unfolds every output (``(N·V, ...)`` → ``(N, V, ...)``). Losses declaring
``view_axis = True`` receive the unfolded outputs; every other loss receives them folded,
so it is applied per view (docs/contracts.md, "Output vocabulary").
"""
import torch
from torch import Tensor

#: Collated per-view metadata of a multiview batch: a list of ``V`` sequences of ``N``.
PER_VIEW_META = ('img_path', 'image', 'view_names')


def fold_views(tensors: dict, num_samples: int, num_views: int) -> dict:
    """Fold the view axis of a batch's tensors into its batch axis.

    Args:
        tensors: Collated values; tensors whose first two dims are ``(N, V)`` are folded,
            everything else is kept as it is.
        num_samples: ``N``.
        num_views: ``V``.

    Returns:
        A new dict, ``(N, V, ...)`` tensors as ``(N·V, ...)`` (sample-major: row
        ``n·V + v`` is view ``v`` of sample ``n``).
    """
    return {key: value.flatten(0, 1) if isinstance(value, Tensor) and value.dim() >= 2
            and tuple(value.shape[:2]) == (num_samples, num_views) else value
            for key, value in tensors.items()}


def unfold_views(outputs: dict[str, Tensor], num_views: int) -> dict[str, Tensor]:
    """Undo :func:`fold_views` on outputs: ``(N·V, ...)`` → ``(N, V, ...)``.

    Args:
        outputs: Tensors whose first dim is ``N·V``, sample-major.
        num_views: ``V``.

    Returns:
        A new dict of views of the same tensors.
    """
    return {key: value.unflatten(0, (-1, num_views)) for key, value in outputs.items()}


def fold_outputs(outputs: dict[str, Tensor]) -> dict[str, Tensor]:
    """``(N, V, ...)`` → ``(N·V, ...)`` for every output (what a per-view loss receives)."""
    return {key: value.flatten(0, 1) for key, value in outputs.items()}


def stack_view_outputs(per_view: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """Outputs of each view of a clip, ``V`` dicts of ``(T, ...)`` → one of ``(T, V, ...)``."""
    return {key: torch.stack([outputs[key] for outputs in per_view], dim=1)
            for key in per_view[0]}
