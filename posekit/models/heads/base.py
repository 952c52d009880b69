"""The head contract every posekit head follows (docs/contracts.md, "Heads")."""
from abc import ABCMeta, abstractmethod
from typing import Any, Optional, Union

from mmengine.model import BaseModule
from torch import Tensor

from posekit.codecs import BaseKeypointCodec, build_codec
from ..outputs import check_vocabulary


class BaseHead(BaseModule, metaclass=ABCMeta):
    """Backbone features → outputs in the vocabulary of ``posekit.models.outputs``.

    A head implements :meth:`forward` (features → its raw output, e.g. heatmaps) and
    :meth:`predict` (features → a dict of output-vocabulary tensors with keypoints in input
    pixels, decoded through ``self.codec``), and declares ``output_keys``, the keys
    :meth:`predict` returns. A context head sets ``num_context = c > 0``: :meth:`predict`
    then takes windows ``(N, 2c + 1, C, h, w)`` and predicts their centre frames, and
    :meth:`predict_sequence` takes the features of consecutive frames. The tracker fills
    ``num_keypoints`` (from the labels), ``in_channels`` (from the backbone) and ``codec``
    (the config's top-level codec).

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels.
        codec: The codec config or instance; the head decodes its outputs with it.
        init_cfg: mmengine initialisation config.

    Attributes:
        output_keys: Keys of :meth:`predict`'s dict.
        num_context: Frames on each side of a predicted frame the head needs.
    """

    output_keys: tuple[str, ...] = ()
    num_context: int = 0

    def __init__(self, num_keypoints: int, in_channels: int,
                 codec: Union[dict, BaseKeypointCodec], init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if num_keypoints is None or int(num_keypoints) != num_keypoints or num_keypoints < 1:
            raise ValueError(f'{name}: num_keypoints must be a positive int, got '
                             f'{num_keypoints!r} (tools fill it from the label file)')
        if not self.output_keys:
            raise TypeError(f'{name}: a head must declare its output_keys')
        check_vocabulary(self.output_keys, name)
        self.num_keypoints = int(num_keypoints)
        self.in_channels = in_channels
        self.codec = build_codec(codec)

    @property
    def target_keys(self) -> tuple[str, ...]:
        """The targets the codec makes for this head, as output-vocabulary keys."""
        return tuple(f'{key}_targ' for key in self.codec.target_keys)

    @property
    def num_frames(self) -> int:
        """Frames per window, ``2 * num_context + 1``."""
        return 2 * self.num_context + 1

    @abstractmethod
    def forward(self, feats: Tensor) -> Any:
        """The head's raw output (e.g. heatmaps) from backbone features."""

    @abstractmethod
    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """Outputs of independent samples.

        Args:
            feats: ``(N, C, h, w)`` features, or ``(N, 2c + 1, C, h, w)`` windows for a
                context head.

        Returns:
            One tensor per key of :attr:`output_keys`, keypoints in input pixels.
        """

    def predict_sequence(self, feats: Tensor) -> dict[str, Tensor]:
        """Outputs of every full window of consecutive frames' features.

        Single-frame heads predict every frame. This default cuts a context head's
        sequence into sliding windows and calls :meth:`predict`; heads that can share
        per-frame work between windows override it.

        Args:
            feats: ``(B, C, h, w)`` features of consecutive frames.

        Returns:
            As :meth:`predict`, for frames ``c … B - 1 - c`` (``B - 2c`` rows).
        """
        if not self.num_context:
            return self.predict(feats)
        windows = feats.unfold(0, self.num_frames, 1)  # (B - 2c, C, h, w, F)
        return self.predict(windows.permute(0, 4, 1, 2, 3))

    def extra_repr(self) -> str:
        return f'num_keypoints={self.num_keypoints}, codec={self.codec!r}'
