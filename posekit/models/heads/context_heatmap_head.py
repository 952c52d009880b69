"""Lightning Pose's context head (``heatmap_mhcrnn``): single-frame and multi-frame heatmaps."""
from typing import Optional, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from posekit.codecs import BaseKeypointCodec
from posekit.registry import MODELS
from .base import BaseHead
from .heatmap_head import HeatmapHead, double_resolution, heatmap_stride, spatial_softmax


def _hidden_transition(num_keypoints: int, channels_per_keypoint: int) -> nn.Sequential:
    """LP's hidden-state update: a per-keypoint (grouped) stride-2 conv and its transpose."""
    hidden = num_keypoints * channels_per_keypoint
    return nn.Sequential(
        nn.Conv2d(num_keypoints, hidden, kernel_size=2, stride=2, groups=num_keypoints),
        nn.ConvTranspose2d(hidden, num_keypoints, kernel_size=2, stride=2,
                           groups=num_keypoints))


class UpsamplingCRNN(BaseModule):
    """Bidirectional convolutional recurrent head over consecutive frames (LP's UpsamplingCRNN).

    Each frame's features are upsampled (``PixelShuffle(2)``, then ``3 - downsample``
    transposed convolutions; LP's ``downsample=2`` has one) and fed, in time order, to a
    forward recurrence ``s_t = W_f(x_t) + H_f(s_{t-1})`` and, in reverse order, to a backward
    one with its own weights. ``W`` doubles the resolution to the heatmap size, ``H`` is a
    per-keypoint stride-2 convolution and its transpose. The two final states are averaged
    and normalised by a spatial softmax: one heatmap per keypoint for the whole window.

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels (divisible by 4).
        downsample: Heatmaps are ``2**downsample`` times smaller than the input (1, 2 or 3).
        channels_per_keypoint: Hidden channels per keypoint inside ``H`` (LP: 16).
    """

    def __init__(self, num_keypoints: int, in_channels: int, downsample: int = 2,
                 channels_per_keypoint: int = 16, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        layers: list[nn.Module] = [nn.PixelShuffle(2)]
        channels = in_channels // 4
        for _ in range(3 - downsample):
            layers.append(double_resolution(channels, num_keypoints))
            channels = num_keypoints
        self.pre = nn.Sequential(*layers)
        self.input_fwd = double_resolution(channels, num_keypoints)
        self.hidden_fwd = _hidden_transition(num_keypoints, channels_per_keypoint)
        self.input_bwd = double_resolution(channels, num_keypoints)
        self.hidden_bwd = _hidden_transition(num_keypoints, channels_per_keypoint)
        for layer in self.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(layer.weight, gain=1.0)  # LP's initialisation
                nn.init.zeros_(layer.bias)

    def forward(self, feats: Tensor) -> Tensor:
        """Heatmaps of a window of frames.

        Args:
            feats: ``(N, F, C, H/32, W/32)`` features of ``F`` consecutive frames.

        Returns:
            ``(N, K, H/2**d, W/2**d)`` heatmaps, each summing to 1.
        """
        n, f = feats.shape[:2]
        frames = self.pre(feats.flatten(0, 1)).unflatten(0, (n, f)).unbind(1)
        forward_state = self._recur(frames, self.input_fwd, self.hidden_fwd)
        backward_state = self._recur(frames[::-1], self.input_bwd, self.hidden_bwd)
        return spatial_softmax((forward_state + backward_state) / 2)

    def forward_sequence(self, feats: Tensor, num_frames: int) -> Tensor:
        """Heatmaps of every full ``num_frames`` window of a sequence, per-frame work shared.

        Equal to :meth:`forward` on the sliding windows of ``feats``, but the per-frame
        layers (``pre``, ``input_fwd``, ``input_bwd``) run once per frame instead of once
        per window that contains it.

        Args:
            feats: ``(B, C, H/32, W/32)`` features of consecutive frames.
            num_frames: Window length ``F`` (``B >= F``).

        Returns:
            ``(B - F + 1, K, H/2**d, W/2**d)`` heatmaps of windows ``0 … B - F``.
        """
        frames = self.pre(feats)
        inputs_fwd, inputs_bwd = self.input_fwd(frames), self.input_bwd(frames)
        count = len(feats) - num_frames + 1
        forward_state = inputs_fwd[:count]
        for j in range(1, num_frames):
            forward_state = inputs_fwd[j:j + count] + self.hidden_fwd(forward_state)
        backward_state = inputs_bwd[num_frames - 1:num_frames - 1 + count]
        for j in range(num_frames - 2, -1, -1):
            backward_state = inputs_bwd[j:j + count] + self.hidden_bwd(backward_state)
        return spatial_softmax((forward_state + backward_state) / 2)

    @staticmethod
    def _recur(frames: tuple[Tensor, ...], input_layer: nn.Module, hidden_layer: nn.Module
               ) -> Tensor:
        """Final state of ``s_t = input_layer(x_t) + hidden_layer(s_{t-1})`` over ``frames``."""
        state = input_layer(frames[0])
        for frame in frames[1:]:
            state = input_layer(frame) + hidden_layer(state)
        return state


@MODELS.register_module()
class ContextHeatmapHead(BaseHead):
    """LP's context head: a single-frame and a multi-frame heatmap head on a window of frames.

    The input is the backbone features of ``2 * num_context + 1 = 5`` consecutive frames,
    the labeled (centre) frame at index ``num_context``. The single-frame head (``sf``, a
    :class:`HeatmapHead`) sees the centre frame only; the multi-frame head (``mf``, an
    :class:`UpsamplingCRNN`) sees all five. Both heatmaps are decoded alike (soft-argmax,
    window confidence); the combined outputs take, per keypoint, the head with the higher
    confidence (the multi-frame one only when strictly higher, as LP).

    Args:
        num_keypoints: K.
        in_channels: Backbone feature channels (the tracker fills it from the backbone).
        codec: A :class:`~posekit.codecs.HeatmapCodec` shared by both heads.
        deconv_channels: Channels between the single-frame head's transposed convolutions.
        channels_per_keypoint: Hidden channels per keypoint of the recurrent head.
    """

    #: Frames on each side of the centre frame.
    num_context = 2
    output_keys = ('heatmaps_pred_sf', 'heatmaps_pred_mf', 'keypoints_pred_augmented_sf',
                   'keypoints_pred_augmented_mf', 'confidences_sf', 'confidences_mf',
                   'heatmaps_pred', 'keypoints_pred_augmented', 'confidences')

    def __init__(self, num_keypoints: int, in_channels: int,
                 codec: Union[dict, BaseKeypointCodec], deconv_channels: Optional[int] = None,
                 channels_per_keypoint: int = 16, init_cfg: Optional[dict] = None):
        super().__init__(num_keypoints, in_channels, codec, init_cfg=init_cfg)
        downsample = heatmap_stride(type(self).__name__, self.codec).bit_length() - 1
        self.sf = HeatmapHead(num_keypoints, in_channels, self.codec,
                              deconv_channels=deconv_channels)
        self.mf = UpsamplingCRNN(num_keypoints, in_channels, downsample=downsample,
                                 channels_per_keypoint=channels_per_keypoint)

    def forward(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        """Single- and multi-frame heatmaps of the centre frames.

        Args:
            feats: ``(N, 5, C, H/32, W/32)`` features of windows of consecutive frames.

        Returns:
            ``(heatmaps_sf, heatmaps_mf)``, each ``(N, K, H/2**d, W/2**d)`` summing to 1.

        Raises:
            ValueError: ``feats`` is not a batch of 5-frame windows.
        """
        if feats.dim() != 5 or feats.shape[1] != self.num_frames:
            raise ValueError(f'ContextHeatmapHead: expected features of {self.num_frames}-frame '
                             f'windows (N, {self.num_frames}, C, h, w), got '
                             f'{tuple(feats.shape)}')
        return self.sf(feats[:, self.num_context]), self.mf(feats)

    def decode(self, heatmaps_sf: Tensor, heatmaps_mf: Tensor) -> dict[str, Tensor]:
        """Decode both heads' heatmaps and combine them keypoint by keypoint.

        Args:
            heatmaps_sf: ``(N, K, h, w)`` single-frame heatmaps.
            heatmaps_mf: ``(N, K, h, w)`` multi-frame heatmaps.

        Returns:
            ``heatmaps_pred{,_sf,_mf} (N, K, h, w)``, ``keypoints_pred_augmented{,_sf,_mf}
            (N, K, 2)`` in input pixels and ``confidences{,_sf,_mf} (N, K)``; the unsuffixed
            entries hold, per keypoint, the multi-frame values where its confidence is
            higher, else the single-frame ones.
        """
        keypoints_sf, conf_sf = self.codec.decode(heatmaps_sf)
        keypoints_mf, conf_mf = self.codec.decode(heatmaps_mf)
        use_mf = conf_mf > conf_sf
        return dict(
            heatmaps_pred_sf=heatmaps_sf, heatmaps_pred_mf=heatmaps_mf,
            keypoints_pred_augmented_sf=keypoints_sf, keypoints_pred_augmented_mf=keypoints_mf,
            confidences_sf=conf_sf, confidences_mf=conf_mf,
            heatmaps_pred=torch.where(use_mf[..., None, None], heatmaps_mf, heatmaps_sf),
            keypoints_pred_augmented=torch.where(use_mf[..., None], keypoints_mf, keypoints_sf),
            confidences=torch.where(use_mf, conf_mf, conf_sf))

    def predict_sequence(self, feats: Tensor) -> dict[str, Tensor]:
        """:meth:`predict` of every full window of consecutive frames' features.

        Args:
            feats: ``(B, C, H/32, W/32)`` features of consecutive frames (``B >= 5``).

        Returns:
            As :meth:`predict` for the windows centred on frames ``2 … B - 3``.
        """
        c = self.num_context
        centre = feats[c:len(feats) - c]
        return self.decode(self.sf(centre), self.mf.forward_sequence(feats, self.num_frames))

    def predict(self, feats: Tensor) -> dict[str, Tensor]:
        """Outputs of windows (see :meth:`BaseHead.predict`), input-space keypoints.

        Args:
            feats: ``(N, 5, C, H/32, W/32)`` features of windows of consecutive frames,
                centre frame at index 2.

        Returns:
            See :meth:`decode`; one entry per window (its centre frame).
        """
        return self.decode(*self(feats))
