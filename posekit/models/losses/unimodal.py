"""Unsupervised unimodality loss: a predicted heatmap should look like one Gaussian."""
from typing import Optional

import torch
from torch import Tensor

from posekit.codecs import BaseKeypointCodec, HeatmapCodec
from posekit.registry import LOSSES
from .base import Loss
from .heatmap import heatmap_js, heatmap_kl, heatmap_mse


@LOSSES.register_module()
class UnimodalHeatmapLoss(Loss):
    """Divergence between each predicted heatmap and a Gaussian at its own keypoint.

    For every map, the model's codec renders its target Gaussian
    (:meth:`~posekit.codecs.HeatmapCodec.render`: the codec's ``sigma`` and pixel
    convention) at the model's soft-argmax keypoint. The keypoint is detached: the rendered
    target receives no gradient. ``compute`` returns ``(N, K)`` per-map values of
    ``kind``: ``'mse'`` (:func:`heatmap_mse`, sum of squared differences), ``'kl'``
    (:func:`heatmap_kl`, KL(target ‖ pred)) or ``'js'`` (:func:`heatmap_js`); maps with a
    NaN keypoint are excluded. The loss is named ``unimodal_{kind}``.

    Args:
        kind: ``'mse'``, ``'kl'`` or ``'js'``.
        **kwargs: :class:`Loss` arguments.
    """

    name = 'unimodal'
    default_data_info = dict(heatmaps='heatmaps_pred', keypoints='keypoints_pred_augmented')
    divergences = dict(mse=heatmap_mse, kl=heatmap_kl, js=heatmap_js)

    def __init__(self, kind: str = 'mse', **kwargs):
        if kind not in self.divergences:
            raise ValueError(f"UnimodalHeatmapLoss: kind must be 'mse', 'kl' or 'js', "
                             f'got {kind!r}')
        kwargs.setdefault('name', f'unimodal_{kind}')
        super().__init__(**kwargs)
        self.kind = kind
        self.codec: Optional[HeatmapCodec] = None

    def bind(self, codec: BaseKeypointCodec, metainfo: Optional[dict]) -> None:
        """Keep the model's heatmap codec (targets are rendered with it).

        Raises:
            TypeError: The codec makes no heatmaps.
        """
        if not isinstance(codec, HeatmapCodec):
            raise TypeError(f'{type(self).__name__} compares heatmaps with Gaussians: the '
                            f"model's codec must be a HeatmapCodec, got {codec!r}")
        self.codec = codec

    def compute(self, heatmaps: Tensor, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Per-map divergence from the Gaussian at the map's keypoint.

        Args:
            heatmaps: ``(N, K, h, w)`` predicted heatmaps, each summing to 1.
            keypoints: ``(N, K, 2)`` their keypoints in input pixels.

        Returns:
            ``(loss (N, K), valid (N, K))``.
        """
        if self.codec is None:
            raise RuntimeError(f'{type(self).__name__} ({self.name!r}) has no codec: build it '
                               'inside a PoseTracker, or call bind(codec, metainfo)')
        keypoints = keypoints.detach()
        valid = ~keypoints.isnan().any(-1)
        target = self.codec.render(torch.where(valid.unsqueeze(-1), keypoints,
                                               torch.zeros_like(keypoints)).to(heatmaps.dtype))
        return self.divergences[self.kind](heatmaps, target), valid

    def extra_repr(self) -> str:
        return f'kind={self.kind!r}, ' + super().extra_repr()
