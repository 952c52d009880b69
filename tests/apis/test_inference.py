"""Video and frame inference: frame-pixel outputs, CSV, heatmaps, temporal norm, PCA errors."""
import itertools
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from mmengine.config import Config

from posekit.apis import (init_model, pca_error_tables, predict_frames, predict_video,
                          prepare_for_inference, temporal_norm, write_video_outputs)
from posekit.datasets.io import to_dataframe
from posekit.datasets.video_io import VideoReadError
from posekit.engine.video_inference import VideoInference, context_windows
from posekit.models.trackers import CheckpointMismatchError
from posekit.registry import LOSSES, MODELS
from .conftest import (INPUT_SIZE, NAMES, NUM_FRAMES, expected_keypoints, heatmaps_of,
                       make_model)


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


def test_outputs_csv_reads_back_and_heatmaps_match(model, video, tmp_path):
    outputs = write_video_outputs(model, video, str(tmp_path), batch_size=16,
                                  save_heatmaps=True, progress=False)
    preds = pd.read_csv(tmp_path / 'clip.csv', header=[0, 1, 2], index_col=0)
    assert preds.shape == (NUM_FRAMES, 9)
    np.testing.assert_allclose(preds.to_numpy(), outputs.predictions.to_numpy())
    heatmaps = np.load(tmp_path / 'clip_heatmaps.npy')
    assert heatmaps.dtype == np.float16 and heatmaps.shape == (NUM_FRAMES, 3, 16, 24)
    np.testing.assert_allclose(heatmaps, heatmaps_of(0, NUM_FRAMES).numpy(), atol=1e-3)
    norms = pd.read_csv(tmp_path / 'clip_temporal_norm.csv', index_col=0)
    assert list(norms.columns) == NAMES and norms.iloc[0].isna().all()
    assert (tmp_path / 'clip_traces.png').stat().st_size > 10_000
    assert not list(tmp_path.glob('*pca*'))  # no PCA loss, no PCA file
    assert str(tmp_path / 'clip.csv') == outputs.paths[0]


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


def test_predict_frames_maps_each_image_size(model, tmp_path):
    import cv2
    small = np.zeros((48, 64, 3), np.uint8)
    large = np.zeros((128, 192, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'large.png'), large)
    keypoints, confidences = predict_frames(model, [small, str(tmp_path / 'large.png')])
    assert keypoints.shape == (2, 3, 2) and confidences.shape == (2, 3)
    np.testing.assert_allclose(keypoints[0], expected_keypoints(0), atol=0.1)
    np.testing.assert_allclose(keypoints[1], expected_keypoints(1, (192, 128)), atol=0.2)


def test_temporal_norm_is_the_frame_to_frame_distance():
    keypoints = np.array([[[0., 0.], [1., 1.]],
                          [[3., 4.], [1., 1.]],
                          [[3., 4.], [np.nan, 1.]]])
    norms = temporal_norm(keypoints, ['a', 'b'])
    assert list(norms.columns) == ['a', 'b'] and list(norms.index) == [0, 1, 2]
    expected = np.array([[np.nan, np.nan], [5., 0.], [0., np.nan]])
    np.testing.assert_array_equal(norms.to_numpy(), expected)


def test_temporal_norm_of_a_dataframe_keeps_its_index():
    keypoints = np.random.default_rng(0).normal(size=(6, 3, 2)) * 10
    df = to_dataframe(range(10, 16), NAMES, keypoints, likelihood=np.ones((6, 3)))
    norms = temporal_norm(df)
    hand = np.sqrt(((keypoints[1:] - keypoints[:-1]) ** 2).sum(-1))
    np.testing.assert_allclose(norms.to_numpy()[1:], hand)
    assert list(norms.columns) == NAMES and list(norms.index) == list(range(10, 16))


class LossModel(torch.nn.Module):
    def __init__(self, losses, unsupervised_losses=()):
        super().__init__()
        self.losses = torch.nn.ModuleList(LOSSES.build(c) for c in losses)
        self.unsupervised_losses = torch.nn.ModuleList(LOSSES.build(c)
                                                       for c in unsupervised_losses)


def test_pca_error_tables_cover_the_loss_columns_only():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 2, 3)) * 10  # 2 body parts in 3-D, seen in 2 views
    views = [points @ rng.normal(size=(2, 3)).T + 50 for _ in range(2)]
    # keypoints: part0/view0, part1/view0, unused, part0/view1, part1/view1
    keypoints = np.stack([views[0][:, 0], views[0][:, 1], np.zeros((40, 2)),
                          views[1][:, 0], views[1][:, 1]], axis=1)
    model = LossModel([dict(type='HeatmapMSELoss')], [
        dict(type='PCASingleViewLoss', keypoints=[0, 1, 3], components_to_keep=2),
        dict(type='PCAMultiViewLoss', views=[[0, 1], [3, 4]])])
    unfitted = pca_error_tables(model, keypoints)
    assert unfitted == {}  # unfitted losses are skipped
    for loss in model.unsupervised_losses:
        loss.fit(keypoints)
    noisy = keypoints + rng.normal(size=keypoints.shape)
    tables = pca_error_tables(model, noisy, list('abcde'))
    assert set(tables) == {'pca_singleview_error', 'pca_multiview_error'}
    single, multi = tables['pca_singleview_error'], tables['pca_multiview_error']
    assert list(single.columns) == list('abcde') and len(single) == 40
    assert single[['c', 'e']].isna().all().all() and single[['a', 'b', 'd']].notna().all().all()
    np.testing.assert_allclose(
        single[['a', 'b', 'd']].to_numpy(),
        model.unsupervised_losses[0].reconstruction_error(noisy).double().numpy(), rtol=1e-6)
    # multi-view: every view's keypoint has its own error, the unused column is NaN
    assert multi['c'].isna().all() and multi[['a', 'b', 'd', 'e']].notna().all().all()
    np.testing.assert_allclose(
        multi[['a', 'b', 'd', 'e']].to_numpy(),
        model.unsupervised_losses[1].reconstruction_error(noisy).double().numpy(), rtol=1e-6)


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


def tiny_config(tmp_path, resize=True, num_keypoints=None):
    pipeline = "[dict(type='LoadFrame'), dict(type='Resize', input_size=(64, 64))]" \
        if resize else "[dict(type='LoadFrame')]"
    path = tmp_path / 'tiny.py'
    path.write_text(
        "default_scope = 'posekit'\n"
        "codec = dict(type='HeatmapCodec', input_size=(64, 64))\n"
        "model = dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),\n"
        f"             head=dict(type='HeatmapHead', num_keypoints={num_keypoints}),\n"
        "             losses=[dict(type='HeatmapMSELoss')])\n"
        f"test_dataloader = dict(dataset=dict(pipeline={pipeline}))\n")
    return str(path)


def save_checkpoint(path, num_keypoints=3, names=NAMES):
    net = MODELS.build(dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
                            codec=dict(type='HeatmapCodec', input_size=(64, 64)),
                            head=dict(type='HeatmapHead', num_keypoints=num_keypoints)))
    torch.save(dict(meta=dict(dataset_meta=dict(keypoint_names=names, scorer='me')),
                    state_dict=net.state_dict()), path)
    return net


def test_init_model_takes_keypoints_from_the_checkpoint(tmp_path):
    trained = save_checkpoint(tmp_path / 'best_x.pth')
    model = init_model(tiny_config(tmp_path), str(tmp_path))  # a work dir: its best_*.pth
    assert not model.training and model.input_size == (64, 64)
    assert model.dataset_meta == dict(keypoint_names=NAMES, num_keypoints=3, scorer='me')
    assert model.head.num_keypoints == 3 and model.cfg.model.metainfo['num_keypoints'] == 3
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_init_model_errors(tmp_path):
    save_checkpoint(tmp_path / 'ckpt.pth')
    with pytest.raises(CheckpointMismatchError, match='3 keypoints'):
        init_model(tiny_config(tmp_path, num_keypoints=4), str(tmp_path / 'ckpt.pth'))
    save_checkpoint(tmp_path / 'four.pth', 4, NAMES + ['paw'])
    cfg = Config.fromfile(tiny_config(tmp_path))
    cfg.model.head.num_keypoints = 4
    state = torch.load(tmp_path / 'four.pth', weights_only=True)
    state['state_dict'].pop('head.upsample.1.bias')
    torch.save(state, tmp_path / 'incomplete.pth')
    with pytest.raises(CheckpointMismatchError, match='incomplete.pth.*Missing key'):
        init_model(cfg, str(tmp_path / 'incomplete.pth'))
    with pytest.raises(ValueError, match='no Resize step'):
        init_model(tiny_config(tmp_path, resize=False), str(tmp_path / 'ckpt.pth'))
    with pytest.raises(FileNotFoundError):
        init_model(tiny_config(tmp_path), str(tmp_path / 'nothing.pth'))


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
