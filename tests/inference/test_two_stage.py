"""Crop-zoom prediction (posekit/inference/two_stage.py) with stages that find a bright square.

Each fake stage's head puts a Gaussian heatmap at the brightness centroid of the square in
its input, so its keypoints are the square's centre wherever the square is: stage 1 on the
whole frame at half size, stage 2 on 32 x 32 crops enlarged to 64 x 64. Predictions in frame
pixels equal the drawn centre only if every crop and resize is mapped back.
"""
import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.config import Config

from posekit.inference import (TwoStageInference, TwoStageModel, prepare_for_inference,
                               write_video_outputs)
from posekit.datasets.crop_boxes import BoxOptions, VideoBoxes
from posekit.inference.two_stage_frames import evaluate_two_stage_frames
from posekit.registry import MODELS

FRAME = (160, 120)  # (W, H)
NUM_FRAMES = 21
NAMES = ['centre', 'again']


def square_centre(t):
    """Frame-pixel centre of the 8 x 8 square drawn at (20 + 4t, 30 + 2t)."""
    return np.array([23.5 + 4 * t, 33.5 + 2 * t])


def write_video(path):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30., FRAME)
    for t in range(NUM_FRAMES):
        frame = np.full((FRAME[1], FRAME[0], 3), 60, np.uint8)
        x, y = 20 + 4 * t, 30 + 2 * t
        frame[y:y + 8, x:x + 8] = 230
        writer.write(frame)
    writer.release()
    return str(path)


def centroid_heatmaps(images, stride, seen):
    """Heatmaps peaked at each image's bright-square centroid (input px), sigma 1 heatmap px."""
    brightness = images.sum(dim=1)  # (N, H, W)
    n, h, w = brightness.shape
    low = brightness.flatten(1).min(1).values[:, None, None]
    high = brightness.flatten(1).max(1).values[:, None, None]
    weight = (brightness - (low + high) / 2).clamp(min=0)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing='ij')
    total = weight.sum((1, 2))
    cx = (weight * xs).sum((1, 2)) / total
    cy = (weight * ys).sum((1, 2)) / total
    seen.append(torch.stack([cx, cy], 1))
    hy, hx = torch.meshgrid(torch.arange(h // stride, dtype=torch.float64),
                            torch.arange(w // stride, dtype=torch.float64), indexing='ij')
    px, py = (cx + 0.5) / stride - 0.5, (cy + 0.5) / stride - 0.5
    maps = torch.exp(-((hx - px[:, None, None]) ** 2 + (hy - py[:, None, None]) ** 2) / 2)
    maps = maps / maps.sum((1, 2), keepdim=True)
    return maps[:, None].expand(n, len(NAMES), h // stride, w // stride).float()


def fake_stage(input_size):
    """A heatmap tracker whose outputs are :func:`centroid_heatmaps` of its inputs."""
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=input_size),
                            head=dict(type='HeatmapHead', num_keypoints=len(NAMES)),
                            losses=[dict(type='HeatmapMSELoss')]))
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='CropAroundKeypoints'),
        dict(type='Resize', input_size=input_size)]))))
    prepare_for_inference(net, cfg, dict(keypoint_names=NAMES, scorer='tester'))
    net.extract_feat = lambda inputs: inputs
    net.seen = []
    net.head.forward = lambda images: centroid_heatmaps(images, 4, net.seen)
    return net


@pytest.fixture
def pair():
    return TwoStageModel(fake_stage((80, 60)), fake_stage((64, 64)),
                         BoxOptions(min_size=32, smooth_frames=3))


def test_crops_follow_the_animal_and_keypoints_map_back_to_frame_pixels(pair, tmp_path):
    video = write_video(tmp_path / 'square.mp4')
    inference = TwoStageInference(pair, batch_size=8)
    prediction = inference.run(video, progress=False)
    truth = np.stack([square_centre(t) for t in range(NUM_FRAMES)])
    np.testing.assert_allclose(prediction.keypoints, np.repeat(truth[:, None], 2, 1), atol=0.05)
    # the boxes: 32 x 32 (extent 0 -> min_size), centred on the smoothed stage-1 centres
    np.testing.assert_array_equal(inference.boxes.size, [32., 32.])
    np.testing.assert_allclose(inference.boxes.centres[1:-1], truth[1:-1], atol=0.1)
    # stage 2 saw the square near the middle of each 64 x 64 crop (2x: within 1 px of the
    # box centre -> within 2.5 input px of 31.5), every frame once
    stage2_seen = torch.cat(pair.stage2.seen).numpy()
    assert stage2_seen.shape == (NUM_FRAMES, 2)
    assert np.abs(stage2_seen - 31.5).max() < 2.5
    # stage 1 saw the whole frame at half size
    stage1_seen = torch.cat(pair.stage1.seen).numpy()
    np.testing.assert_allclose(stage1_seen, (truth + 0.5) / 2 - 0.5, atol=0.01)


def test_the_pair_writes_the_single_stage_files_in_frame_pixels(pair, tmp_path):
    video = write_video(tmp_path / 'square.mp4')
    outputs = write_video_outputs(pair, video, str(tmp_path / 'preds'), batch_size=8,
                                  progress=False)
    table = pd.read_csv(tmp_path / 'preds' / 'square.csv', header=[0, 1, 2], index_col=0)
    assert table.shape == (NUM_FRAMES, 6)
    assert table.columns[0] == ('tester', 'centre', 'x')
    np.testing.assert_allclose(table[('tester', 'again', 'y')].to_numpy(),
                               [square_centre(t)[1] for t in range(NUM_FRAMES)], atol=0.05)
    assert (tmp_path / 'preds' / 'square_temporal_norm.csv').is_file()
    assert outputs.mean_confidence > 0.5


def test_heatmaps_are_refused(pair, tmp_path):
    video = write_video(tmp_path / 'square.mp4')
    with pytest.raises(ValueError, match='two-stage prediction writes no heatmaps'):
        TwoStageInference(pair).run(video, save_heatmaps=str(tmp_path / 'h.npy'),
                                    progress=False)


def test_context_windows_carry_each_frames_own_crop(pair, tmp_path):
    video = write_video(tmp_path / 'square.mp4')
    inference = TwoStageInference(pair, batch_size=8)
    inference.stage2.context = 2  # as for a context stage 2: windows of n + 4 frames
    centres = np.stack([square_centre(t) for t in range(NUM_FRAMES)])
    boxes = VideoBoxes(centres, np.array([32., 32.]))
    batches = list(inference.crop_batches(video, boxes))
    # central frames 0-5, 6-13, 14-18, 19-20 (context_windows of chunks of 8, 8, 5)
    assert [(b.start, len(b.frames)) for b in batches] == [(0, 10), (6, 12), (14, 9), (19, 6)]
    for batch in batches:
        frames = np.clip(np.arange(batch.start - 2, batch.start + len(batch.frames) - 2), 0,
                         NUM_FRAMES - 1)
        assert batch.input_from_frame.shape == (len(batch.frames), 3, 3)
        # frame -> input: crop at the frame's own window, then 2x
        lefts = np.array([boxes.window(t)[0] for t in frames])
        np.testing.assert_allclose(batch.input_from_frame[:, 0, 2].numpy(),
                                   -2 * lefts + 0.5)


def test_labeled_frames_get_their_own_boxes_and_frame_pixel_errors(pair, tmp_path):
    items = []
    for t, split in ((0, 'train'), (5, 'train'), (12, 'test')):
        frame = np.full((FRAME[1], FRAME[0], 3), 60, np.uint8)
        x, y = 20 + 4 * t, 30 + 2 * t
        frame[y:y + 8, x:x + 8] = 230
        path = str(tmp_path / f'img{t:05d}.png')
        cv2.imwrite(path, frame)
        label = np.array([square_centre(t), square_centre(t) + [1., 0.]], np.float32)
        items.append(dict(img_path=path, image=f'img{t:05d}.png', set=split, keypoints=label))
    metrics = evaluate_two_stage_frames(pair, items, str(tmp_path))
    # keypoint 'centre' is exact, 'again' is labeled 1 px to the right of it
    assert metrics.keys() == {'two_stage/pixel_error_train', 'two_stage/pixel_error_test'}
    assert metrics['two_stage/pixel_error_train'] == pytest.approx(0.5, abs=0.01)
    errors = pd.read_csv(tmp_path / 'two_stage_pixel_error.csv', index_col=0)
    assert errors.index.tolist() == ['img00000.png', 'img00005.png', 'img00012.png']
    assert errors['set'].tolist() == ['train', 'train', 'test']
    np.testing.assert_allclose(errors[['centre', 'again']].to_numpy(), [[0, 1]] * 3, atol=0.01)
    # each image's box: its stage-1 extent (0) -> min_size 32, centred on the square
    stage2_seen = torch.cat(pair.stage2.seen).numpy()
    np.testing.assert_allclose(stage2_seen, 31.5, atol=1.1)
