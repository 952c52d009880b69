"""ResNet backbone: torchvision's ResNet without its pooling and classifier."""
from typing import Optional, Union

from mmengine.model import BaseModule
from torch import Tensor
from torchvision.models import resnet18, resnet34, resnet50, resnet101, resnet152

from posekit.registry import MODELS

_BUILDERS = {18: resnet18, 34: resnet34, 50: resnet50, 101: resnet101, 152: resnet152}


@MODELS.register_module()
class ResNet(BaseModule):
    """torchvision ResNet, stem and ``layer1``..``layer4`` (stride 32), randomly initialised.

    Parameter names equal torchvision's (minus ``fc.*``), so a torchvision ResNet state dict
    loads through ``init_cfg=dict(type='Pretrained', checkpoint=PATH)``. No weights are ever
    downloaded.

    Args:
        depth: 18, 34, 50, 101 or 152.
        init_cfg: mmengine initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint='resnet50.pth')``.

    Attributes:
        out_channels: Channels of the output feature map: 512 (depth 18, 34) or 2048.

    Raises:
        ValueError: ``depth`` is not one of the valid depths.
    """

    def __init__(self, depth: int = 50, init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in _BUILDERS:
            valid = ', '.join(str(d) for d in _BUILDERS)
            raise ValueError(f'ResNet depth must be one of {valid}; got {depth!r}')
        net = _BUILDERS[depth](weights=None)
        self.depth = depth
        self.out_channels: int = net.fc.in_features
        self.conv1 = net.conv1
        self.bn1 = net.bn1
        self.relu = net.relu
        self.maxpool = net.maxpool
        self.layer1 = net.layer1
        self.layer2 = net.layer2
        self.layer3 = net.layer3
        self.layer4 = net.layer4

    def forward(self, x: Tensor) -> Tensor:
        """Compute the last feature map before global pooling.

        Args:
            x: Images, ``(N, 3, H, W)``.

        Returns:
            Features, ``(N, out_channels, H/32, W/32)`` (sizes rounded up).
        """
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))
