"""Backbones: image ``(N, 3, H, W)`` → last feature map ``(N, out_channels, H/32, W/32)``."""
from .efficientnet import EfficientNet
from .efficientnet_lite import EfficientNetLite0
from .resnet import ResNet

__all__ = ['EfficientNet', 'EfficientNetLite0', 'ResNet']
