"""The fittable-loss protocol: losses that learn something from the training labels.

``PCAFitHook`` fits every loss of a model that follows :class:`FittableLoss`, whatever its
class: the PCA losses, and any plug-in loss with a callable ``fit(keypoints)`` and a boolean
``fitted`` flag. Keep what ``fit`` learns (and ``fitted``) in persistent buffers, so a
checkpoint restores the fitted loss and the hook keeps it as saved
(docs/adding_a_loss.md §3).
"""
from typing import Protocol, Union, runtime_checkable

import numpy as np
import torch
from mmengine.model import is_model_wrapper
from torch import Tensor, nn


@runtime_checkable
class FittableLoss(Protocol):
    """What ``PCAFitHook`` needs of a loss it fits before training.

    Test a loss with :func:`is_fittable`, not ``isinstance``: from Python 3.12,
    ``isinstance`` against a protocol looks attributes up statically and misses
    ``nn.Module`` buffers such as a ``fitted`` buffer.

    Attributes:
        fitted: Whether the loss has been fitted (or restored fitted from a checkpoint): a
            Python bool or a one-element ``torch.bool`` tensor (e.g. a persistent buffer).
    """

    fitted: Union[bool, Tensor]

    def fit(self, keypoints: np.ndarray) -> object:
        """Learn from the training labels and set ``fitted``.

        Args:
            keypoints: ``(N, K, 2)`` float32 labels of the train split in frame pixels, NaN
                for unlabeled keypoints.

        Returns:
            Anything; the hook ignores it.
        """


def is_fittable(obj: object) -> bool:
    """Whether ``obj`` has a callable ``fit`` and a boolean ``fitted`` (see :class:`FittableLoss`).

    Args:
        obj: Any object, typically a loss module.

    Returns:
        True for a bool, ``numpy.bool_`` or one-element ``torch.bool`` tensor ``fitted``
        next to a callable ``fit``; False otherwise.
    """
    if not callable(getattr(obj, 'fit', None)) or not hasattr(obj, 'fitted'):
        return False
    fitted = obj.fitted
    if isinstance(fitted, Tensor):
        return fitted.dtype == torch.bool and fitted.numel() == 1
    return isinstance(fitted, (bool, np.bool_))


def fittable_losses(model: nn.Module) -> list[nn.Module]:
    """The fittable losses of a (possibly wrapped) model, fitted or not.

    Args:
        model: A ``PoseTracker`` (or a model wrapper around one); its ``losses`` and
            ``unsupervised_losses`` are searched.

    Returns:
        The losses for which :func:`is_fittable` holds, supervised ones first, in model order.
    """
    if is_model_wrapper(model):
        model = model.module
    return [loss for attr in ('losses', 'unsupervised_losses')
            for loss in getattr(model, attr, ()) if is_fittable(loss)]
