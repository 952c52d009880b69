"""Refuse a checkpoint whose tensors do not fit the model built from the config."""
from collections.abc import Mapping

from torch import nn


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's tensors do not fit the model built from the config."""


def check_state_dict_shapes(model: nn.Module, state_dict: Mapping, prefix: str) -> None:
    """Compare a state dict's tensor shapes with the model's own, naming the first mismatch.

    Args:
        model: The tracker (its ``head.num_keypoints`` goes into the hint of a head tensor).
        state_dict: The tensors being loaded.
        prefix: The model's prefix in ``state_dict``.

    Raises:
        CheckpointMismatchError: A tensor of another shape.
    """
    own = model.state_dict()
    for key, value in state_dict.items():
        name = key[len(prefix):] if key.startswith(prefix) else key
        if name in own and hasattr(value, 'shape') and value.shape != own[name].shape:
            hint = ''
            if name.startswith('head.'):
                hint = (f' The head predicts {model.head.num_keypoints} keypoints; the '
                        'checkpoint was trained for another keypoint count.')
            raise CheckpointMismatchError(
                f'checkpoint tensor {name!r} has shape {tuple(value.shape)}, the model '
                f'built from the config expects {tuple(own[name].shape)}.{hint}')
