"""Unsupervised unimodality loss: a predicted heatmap should look like one Gaussian."""
import torch
from torch import Tensor

from posekit.registry import LOSSES
from ..heads.decoding import input_to_heatmap
from .base import Loss
from .heatmap import heatmap_js, heatmap_kl, heatmap_mse


def gaussian_heatmaps(centres: Tensor, height: int, width: int, sigma: float) -> Tensor:
    """Normalised Gaussian maps, the torch twin of ``GenerateHeatmapTarget``'s rendering.

    Separable, each axis shifted so its peak is 1 before normalising (no underflowed sums for
    small sigma or far-off centres); each map sums to 1, also when the border truncates it.

    Args:
        centres: ``(N, K, 2)`` ``(x, y)`` in heatmap pixels (pixel centres on integers).
        height: Map height ``h``.
        width: Map width ``w``.
        sigma: Standard deviation in heatmap pixels.

    Returns:
        ``(N, K, h, w)`` maps, each summing to 1.
    """
    def axis(coords: Tensor, size: int) -> Tensor:
        d2 = (torch.arange(size, dtype=coords.dtype, device=coords.device)
              - coords.unsqueeze(-1)) ** 2
        g = torch.exp(-(d2 - d2.amin(-1, keepdim=True)) / (2 * sigma ** 2))
        return g / g.sum(-1, keepdim=True)

    gx, gy = axis(centres[..., 0], width), axis(centres[..., 1], height)
    return gy.unsqueeze(-1) * gx.unsqueeze(-2)


@LOSSES.register_module()
class UnimodalHeatmapLoss(Loss):
    """Divergence between each predicted heatmap and a Gaussian at its own keypoint.

    For every map, a normalised Gaussian of std ``sigma`` (heatmap px) is rendered at the
    model's soft-argmax keypoint, converted from input to heatmap pixels by
    ``x_h = (x_in + 0.5) / stride - 0.5``. The keypoint is detached: the rendered target
    receives no gradient. ``compute`` returns ``(N, K)`` per-map values of
    ``kind``: ``'mse'`` (:func:`heatmap_mse`, sum of squared differences), ``'kl'``
    (:func:`heatmap_kl`, KL(target ‖ pred)) or ``'js'`` (:func:`heatmap_js`); maps with a
    NaN keypoint are excluded. The loss is named ``unimodal_{kind}``.

    Args:
        kind: ``'mse'``, ``'kl'`` or ``'js'``.
        sigma: Gaussian std in heatmap pixels (as the targets').
        stride: Input pixels per heatmap pixel, ``2 ** head.downsample``.
        **kwargs: :class:`Loss` arguments.
    """

    name = 'unimodal'
    default_data_info = dict(heatmaps='heatmaps_pred', keypoints='keypoints_pred_augmented')
    divergences = dict(mse=heatmap_mse, kl=heatmap_kl, js=heatmap_js)

    def __init__(self, kind: str = 'mse', sigma: float = 1.25, stride: int = 4, **kwargs):
        if kind not in self.divergences:
            raise ValueError(f"UnimodalHeatmapLoss: kind must be 'mse', 'kl' or 'js', "
                             f'got {kind!r}')
        if not sigma > 0 or not stride > 0:
            raise ValueError(f'UnimodalHeatmapLoss: sigma ({sigma}) and stride ({stride}) '
                             'must be positive')
        kwargs.setdefault('name', f'unimodal_{kind}')
        super().__init__(**kwargs)
        self.kind = kind
        self.sigma = float(sigma)
        self.stride = stride

    def compute(self, heatmaps: Tensor, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Per-map divergence from the Gaussian at the map's keypoint.

        Args:
            heatmaps: ``(N, K, h, w)`` predicted heatmaps, each summing to 1.
            keypoints: ``(N, K, 2)`` their keypoints in input pixels.

        Returns:
            ``(loss (N, K), valid (N, K))``.
        """
        keypoints = keypoints.detach()
        valid = ~keypoints.isnan().any(-1)
        centres = input_to_heatmap(torch.where(valid.unsqueeze(-1), keypoints,
                                               torch.zeros_like(keypoints)), self.stride)
        target = gaussian_heatmaps(centres.to(heatmaps.dtype), *heatmaps.shape[-2:], self.sigma)
        return self.divergences[self.kind](heatmaps, target), valid

    def extra_repr(self) -> str:
        return f'kind={self.kind!r}, sigma={self.sigma}, stride={self.stride}, ' + \
            super().extra_repr()
