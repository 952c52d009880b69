"""A tiny video and a model whose heatmaps are known, so predictions are known exactly."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from posekit.apis import prepare_for_inference
from posekit.registry import MODELS

FRAME_SIZE = (64, 48)  # (W, H) of the test video
INPUT_SIZE = (96, 64)  # (W, H) the model sees: x scaled by 1.5, y by 4/3
NUM_FRAMES = 30
NAMES = ['nose', 'ear', 'tail']
STRIDE = 4  # HeatmapHead downsample=2: heatmaps (16, 24)


def write_video(path, num_frames=NUM_FRAMES, size=FRAME_SIZE):
    """An mp4v video of a square moving right, one pixel per frame."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30., (width, height))
    for t in range(num_frames):
        frame = np.full((height, width, 3), 60, np.uint8)
        frame[10:20, 5 + t % (width - 15):15 + t % (width - 15)] = 220
        writer.write(frame)
    writer.release()
    return path


def peaks(t):
    """Heatmap-pixel peak ``(K, 2)`` of keypoint k on the t-th frame the model sees."""
    return np.array([[2 + t % 12 + k, 3 + t % 9] for k in range(len(NAMES))], dtype=float)


def expected_keypoints(t, frame_size=FRAME_SIZE):
    """Frame-pixel keypoints ``(K, 2)`` the model predicts for the t-th frame."""
    inputs = (peaks(t) + 0.5) * STRIDE - 0.5
    scale = np.array(INPUT_SIZE, float) / np.array(frame_size, float)
    return (inputs + 0.5) / scale - 0.5


def heatmaps_of(start, n):
    """The ``(n, K, 16, 24)`` heatmaps the fake head outputs for frames start … start+n-1."""
    h, w = INPUT_SIZE[1] // STRIDE, INPUT_SIZE[0] // STRIDE
    ys, xs = np.mgrid[:h, :w]
    maps = np.stack([np.stack([np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / 2.)
                               for x, y in peaks(t)]) for t in range(start, start + n)])
    return torch.from_numpy(maps / maps.sum(axis=(-2, -1), keepdims=True)).float()


@pytest.fixture
def video(tmp_path):
    return str(write_video(tmp_path / 'clip.mp4'))


def make_model(real_backbone=False):
    """A ResNet-18 heatmap tracker whose head outputs :func:`heatmaps_of` frames in order.

    Unless ``real_backbone``, the backbone returns zero features (fast; the fake head ignores
    them anyway).
    """
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=INPUT_SIZE),
                            head=dict(type='HeatmapHead', num_keypoints=len(NAMES)),
                            losses=[dict(type='HeatmapMSELoss')]))
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='Resize', input_size=INPUT_SIZE)]))))
    prepare_for_inference(net, cfg, dict(keypoint_names=NAMES, scorer='tester'))
    if not real_backbone:
        net.backbone.forward = lambda x: x.new_zeros(len(x), 512, x.shape[2] // 32,
                                                     x.shape[3] // 32)
    seen = [0]

    def forward(feats):
        maps = heatmaps_of(seen[0], len(feats))
        seen[0] += len(feats)
        return maps

    net.head.forward = forward
    return net


@pytest.fixture
def model():
    return make_model()
