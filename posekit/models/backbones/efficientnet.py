"""EfficientNet backbone: torchvision's EfficientNet-B0/B1/B2 feature extractor."""
from typing import Optional, Union

from mmengine.model import BaseModule
from torch import Tensor
from torchvision.models import efficientnet_b0, efficientnet_b1, efficientnet_b2

from posekit.registry import MODELS

_BUILDERS = {'b0': efficientnet_b0, 'b1': efficientnet_b1, 'b2': efficientnet_b2}


@MODELS.register_module()
class EfficientNet(BaseModule):
    """torchvision EfficientNet ``features`` (stride 32), randomly initialised.

    Parameter names equal torchvision's (``features.*``; the classifier is dropped), so a
    torchvision EfficientNet state dict loads through
    ``init_cfg=dict(type='Pretrained', checkpoint=PATH)``. No weights are ever downloaded.

    Args:
        arch: ``'b0'``, ``'b1'`` or ``'b2'``.
        init_cfg: mmengine initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint='efficientnet_b0.pth')``.

    Attributes:
        out_channels: Channels of the output feature map (1280 for all three archs).

    Raises:
        ValueError: ``arch`` is not one of the valid archs.
    """

    def __init__(self, arch: str = 'b0', init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in _BUILDERS:
            valid = ', '.join(repr(a) for a in _BUILDERS)
            raise ValueError(f'EfficientNet arch must be one of {valid}; got {arch!r}')
        net = _BUILDERS[arch](weights=None)
        self.arch = arch
        self.out_channels: int = net.classifier[1].in_features
        self.features = net.features

    def forward(self, x: Tensor) -> Tensor:
        """Compute the last feature map before global pooling.

        Args:
            x: Images, ``(N, 3, H, W)``.

        Returns:
            Features, ``(N, 1280, H/32, W/32)`` (sizes rounded up).
        """
        return self.features(x)
