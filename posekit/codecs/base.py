"""The codec contract: keypoints ↔ the targets a head learns and the outputs it predicts.

A codec is the single owner of the model's input size and of everything that relates input
pixels to a head's own output space (heatmap stride, Gaussian width, pixel convention,
normalised coordinates). The config declares it once, as the top-level ``codec``; the target
transform (``GenerateTarget``), the head and the losses that need it receive it from there
(docs/contracts.md, "Codecs").
"""
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from typing import Union

import numpy as np
from torch import Tensor

from posekit.registry import KEYPOINT_CODECS


def check_input_size(owner: str, input_size: Sequence[int]) -> tuple[int, int]:
    """Validate ``(W, H)`` and return it as a tuple of ints.

    Raises:
        ValueError: Not two positive integers.
    """
    size = tuple(input_size) if input_size is not None else ()
    if len(size) != 2 or any(int(v) != v or v < 1 for v in size):
        raise ValueError(f'{owner}: input_size must be (width, height) in pixels, got '
                         f'{input_size!r}')
    return int(size[0]), int(size[1])


class BaseKeypointCodec(metaclass=ABCMeta):
    """Encode keypoints into training targets and decode head outputs into keypoints.

    Keypoints are ``(x, y)`` in input pixels, pixel centres on integers (the model's input
    image after the pipeline's geometric transforms; docs/contracts.md, "Coordinates").

    Attributes:
        input_size: ``(W, H)`` of the model input in pixels.
        target_keys: Names of the arrays :meth:`encode` returns; each reaches the losses as
            ``<name>_targ`` (e.g. ``heatmaps`` → ``heatmaps_targ``).
    """

    target_keys: tuple[str, ...] = ()

    def __init__(self, input_size: Sequence[int]):
        self.input_size = check_input_size(type(self).__name__, input_size)

    @abstractmethod
    def encode(self, keypoints: np.ndarray) -> dict[str, np.ndarray]:
        """Targets of one sample.

        Args:
            keypoints: ``(K, 2)`` input pixels, NaN where unlabeled.

        Returns:
            One float32 array per name in :attr:`target_keys`.
        """

    @abstractmethod
    def decode(self, outputs: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        """Keypoints in input pixels from a head's raw output (see the subclass)."""

    def to_config(self) -> dict:
        """The registry config that rebuilds this codec."""
        return dict(type=type(self).__name__, input_size=self.input_size)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in self.to_config().items() if k != 'type')
        return f'{type(self).__name__}({args})'


def build_codec(codec: Union[dict, BaseKeypointCodec]) -> BaseKeypointCodec:
    """A codec from its config (or the codec itself).

    Raises:
        ValueError: ``codec`` is None (the config declares no top-level ``codec``).
    """
    if isinstance(codec, BaseKeypointCodec):
        return codec
    if codec is None:
        raise ValueError("no codec: declare one at the top of the config, e.g. codec = dict("
                         "type='HeatmapCodec', input_size=(128, 128), stride=4, sigma=1.25)")
    return KEYPOINT_CODECS.build(dict(codec))
