"""Video inference: frame-pixel rows, decoding in a thread or inline, context windows."""
import itertools
import threading

import numpy as np
import pytest
import torch
from mmengine.config import Config

from posekit.apis import predict_video
from posekit.datasets.video_io import VideoReadError
from posekit.inference import VideoInference, context_windows, prepare_for_inference
from posekit.registry import MODELS
from .conftest import INPUT_SIZE, NAMES, NUM_FRAMES, expected_keypoints, make_model


def test_predict_video_returns_frame_pixels_per_frame(model, video):
    df = predict_video(model, video, batch_size=8, progress=False)  # 3 full batches + 6
    assert df.shape == (NUM_FRAMES, 3 * len(NAMES))
    assert list(df.index) == list(range(NUM_FRAMES))
    assert df.columns[:3].tolist() == [('tester', 'nose', 'x'), ('tester', 'nose', 'y'),
                                       ('tester', 'nose', 'likelihood')]
    assert df.columns.names == ['scorer', 'bodyparts', 'coords']
    keypoints = np.stack([df.xs(c, axis=1, level=2).to_numpy() for c in 'xy'], axis=-1)
    expected = np.stack([expected_keypoints(t) for t in range(NUM_FRAMES)])
    np.testing.assert_allclose(keypoints, expected, atol=0.1)
    assert (df.xs('likelihood', axis=1, level=2).to_numpy() > 0.5).all()


@pytest.mark.parametrize('prefetch', [True, False])
def test_thread_and_inline_decoding_give_the_same_rows(video, prefetch):
    prediction = VideoInference(make_model(), 8, prefetch=prefetch).run(video, progress=False)
    expected = np.stack([expected_keypoints(t) for t in range(NUM_FRAMES)])
    np.testing.assert_allclose(prediction.keypoints, expected, atol=0.1)


def test_a_decode_thread_error_reaches_the_caller_and_the_thread_ends(model, video):
    class Failing(VideoInference):
        def decode_batches(self, path, num_frames):
            yield from itertools.islice(super().decode_batches(path, num_frames), 1)
            raise VideoReadError('frame 8 is corrupt')

    threads = threading.active_count()
    with pytest.raises(VideoReadError, match='frame 8 is corrupt'):
        Failing(model, 8, prefetch=True).run(video, progress=False)
    assert threading.active_count() == threads


def test_missing_and_unreadable_videos_raise(model, tmp_path):
    with pytest.raises(FileNotFoundError):
        predict_video(model, str(tmp_path / 'missing.mp4'), progress=False)
    (tmp_path / 'bad.mp4').write_text('not a video')
    with pytest.raises(VideoReadError, match='bad.mp4'):
        predict_video(model, str(tmp_path / 'bad.mp4'), progress=False)


def test_heatmaps_need_a_heatmap_model(model, video, tmp_path):
    model.head.output_keys = ('keypoints_pred_augmented',)  # what a regression head has
    with pytest.raises(ValueError, match='no heatmaps'):
        predict_video(model, video, save_heatmaps=str(tmp_path / 'h.npy'), progress=False)


def test_context_windows_give_every_frame_its_neighbours():
    frames = torch.arange(11)
    chunks = [frames[:4], frames[4:8], frames[8:]]
    windows = list(context_windows(chunks, 2))
    centres = []
    for start, window in windows:
        n = len(window) - 4
        for i in range(n):  # window i..i+4 is the neighbourhood of centre start + i
            t = start + i
            expected = [min(max(s, 0), 10) for s in range(t - 2, t + 3)]
            assert window[i:i + 5].tolist() == expected
        centres.extend(range(start, start + n))
    assert centres == list(range(11))
    assert [s for s, _ in context_windows(chunks, 0)] == [0, 4, 8]


def test_a_context_step_plugs_into_the_loop(model, video):
    class ContextInference(VideoInference):
        context = 2

        def predict_batch(self, frames, input_from_frame):
            n = len(frames) - 2 * self.context
            centre = frames[self.context:self.context + n].float().mean(dim=(1, 2, 3))
            return dict(keypoints_pred=centre[:, None, None].expand(n, len(NAMES), 2))

    prediction = ContextInference(model, batch_size=8).run(video, progress=False)
    plain = VideoInference(model, batch_size=8)
    frames = torch.cat([b.frames for b in plain.decode_batches(video, NUM_FRAMES)])
    np.testing.assert_allclose(prediction.keypoints[:, 0, 0],
                               frames.float().mean(dim=(1, 2, 3)).numpy(), rtol=1e-5)
    assert np.isnan(prediction.confidences).all()


def context_model():
    """A real ResNet-18 context tracker (random weights) whose backbone counts its frames."""
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=INPUT_SIZE),
                            head=dict(type='ContextHeatmapHead', num_keypoints=len(NAMES))))
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadFrame'), dict(type='Resize', input_size=INPUT_SIZE)]))))
    prepare_for_inference(net, cfg, dict(keypoint_names=NAMES, scorer='tester'))
    frames_seen = []
    backbone_forward = net.backbone.forward

    def counting_forward(x):
        frames_seen.append(len(x))
        return backbone_forward(x)

    net.backbone.forward = counting_forward
    return net, frames_seen


def test_context_model_predicts_every_frame_with_edge_padded_windows(video):
    net, frames_seen = context_model()
    prediction = VideoInference(net, batch_size=8).run(video, progress=False)
    assert prediction.keypoints.shape == (NUM_FRAMES, len(NAMES), 2)
    assert np.isfinite(prediction.keypoints).all() and np.isfinite(prediction.confidences).all()
    # every frame once through the backbone, plus the 2 repeated frames at each end
    assert sum(frames_seen) == NUM_FRAMES + 4
    # the same as predicting the whole video as one sequence with edge-padded features
    plain = VideoInference(net, batch_size=NUM_FRAMES)
    frames = torch.cat([b.frames[2:-2] for b in plain.decode_batches(video, NUM_FRAMES)])
    matrix = next(plain.decode_batches(video, NUM_FRAMES)).input_from_frame
    with torch.no_grad():
        whole = net.predict_sequence(net.data_preprocessor.normalize(frames),
                                     matrix.float().expand(NUM_FRAMES, 3, 3), pad='edge')
    np.testing.assert_allclose(prediction.keypoints, whole['keypoints_pred'].numpy(),
                               atol=1e-3)
    np.testing.assert_allclose(prediction.confidences, whole['confidences'].numpy(),
                               atol=1e-4)
