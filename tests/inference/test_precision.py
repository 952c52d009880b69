"""``--amp`` inference: a bf16 backbone, float32 decoding, predictions close to float32."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from posekit.apis import prepare_for_inference
from posekit.codecs.soft_argmax import soft_argmax, window_confidence
from posekit.engine.amp import cpu_supports_bf16
from posekit.inference import VideoInference, set_amp
from posekit.registry import MODELS
from .conftest import INPUT_SIZE, NAMES

needs_bf16 = pytest.mark.skipif(not cpu_supports_bf16(), reason='no native bf16 on this CPU')


def sharp_model():
    """A random ResNet-18 heatmap tracker whose peaked heatmaps depend on the frame."""
    torch.manual_seed(0)
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=INPUT_SIZE),
                            head=dict(type='HeatmapHead', num_keypoints=len(NAMES)),
                            losses=[dict(type='HeatmapMSELoss')]))
    with torch.no_grad():
        for layer in net.head.upsample:
            if isinstance(layer, torch.nn.ConvTranspose2d):
                layer.weight.mul_(300.)
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='Resize', input_size=INPUT_SIZE)]))))
    return prepare_for_inference(net, cfg, dict(keypoint_names=NAMES, scorer='tester'))


def test_decoding_of_bf16_heatmaps_runs_in_float32():
    maps = torch.rand(2, 3, 8, 8).softmax(-1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        keypoints = soft_argmax(maps.bfloat16(), 4)
        conf = window_confidence(maps.bfloat16(), torch.full((2, 3, 2), 3.), 1)
    assert keypoints.dtype == conf.dtype == torch.float32
    assert torch.allclose(keypoints, soft_argmax(maps.bfloat16().float(), 4))


@needs_bf16
def test_bf16_predictions_within_half_a_pixel_of_float32(video):
    model = sharp_model()
    fp32 = VideoInference(model, batch_size=8, amp=False).run(video, progress=False)
    assert model.amp_dtype is None
    bf16 = VideoInference(model, batch_size=8, amp=True).run(video, progress=False)
    assert model.amp_dtype == torch.bfloat16
    assert model.backbone.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    # the predictions depend on the frames (otherwise agreement would prove nothing)
    assert fp32.keypoints.std(axis=0).mean() > 1.0
    difference = np.linalg.norm(bf16.keypoints - fp32.keypoints, axis=-1)
    assert 0 < difference.mean() < 0.5
    assert np.abs(bf16.confidences - fp32.confidences).mean() < 0.05


@needs_bf16
def test_amp_runs_only_the_backbone_in_bf16():
    model = set_amp(sharp_model(), True)
    seen = {}
    model.head.register_forward_pre_hook(lambda m, args: seen.update(head=args[0].dtype))
    model.backbone.layer4.register_forward_hook(lambda m, a, out: seen.update(last=out.dtype))
    frames = torch.randint(0, 256, (2, 3, INPUT_SIZE[1], INPUT_SIZE[0]), dtype=torch.uint8)
    with torch.inference_mode():
        outputs = VideoInference(model).predict_batch(frames, torch.eye(3, dtype=torch.float64))
    assert seen == dict(last=torch.bfloat16, head=torch.float32)
    assert outputs['keypoints_pred'].dtype != torch.bfloat16
    set_amp(model, False)
    with torch.inference_mode():
        VideoInference(model).predict_batch(frames, torch.eye(3, dtype=torch.float64))
    assert seen == dict(last=torch.float32, head=torch.float32) and model.amp_dtype is None
