"""ContextHeatmapHead (LP's heatmap_mhcrnn) and PoseTracker's context-frame support."""
import pytest
import torch
from torch import nn

from posekit.models import PoseDataPreprocessor
from posekit.models.geometry import input_to_frame
from posekit.models.heads import ContextHeatmapHead
from posekit.models.losses import TemporalLoss
from posekit.registry import MODELS

K, SIZE = 3, 64
CODEC = dict(type='HeatmapCodec', input_size=(64, 64), stride=4, sigma=1.25)
SF_MF_LOSSES = [
    dict(type='HeatmapMSELoss', name='heatmap_mse_sf', data_info=dict(pred='heatmaps_pred_sf')),
    dict(type='HeatmapMSELoss', name='heatmap_mse_mf', data_info=dict(pred='heatmaps_pred_mf')),
]


def gaussian_maps(centres, sigma, size=16):
    """``(1, len(centres), size, size)`` normalised Gaussians at ``(x, y)`` heatmap pixels."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    maps = torch.stack([torch.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2))
                        for x, y in centres]).float()
    return (maps / maps.sum(dim=(-2, -1), keepdim=True))[None]


# ---------------------------------------------------------------- the head

@pytest.mark.parametrize('stride, size', [(2, (64, 80)), (4, (32, 40)), (8, (16, 20))])
def test_head_outputs_keys_and_shapes(stride, size):
    head = ContextHeatmapHead(num_keypoints=K, in_channels=64,
                              codec=dict(CODEC, input_size=(160, 128), stride=stride))
    assert head.num_context == 2
    outputs = head.predict(torch.randn(2, 5, 64, 4, 5))  # input 128 x 160
    assert set(outputs) == set(head.output_keys)
    for suffix in ('', '_sf', '_mf'):
        heatmaps = outputs[f'heatmaps_pred{suffix}']
        assert heatmaps.shape == (2, K, *size)
        torch.testing.assert_close(heatmaps.sum(dim=(-2, -1)), torch.ones(2, K))
        assert outputs[f'keypoints_pred_augmented{suffix}'].shape == (2, K, 2)
        assert outputs[f'confidences{suffix}'].shape == (2, K)
    with pytest.raises(ValueError, match=r'5-frame windows \(N, 5, C, h, w\), got \(2, 64, 4, 5\)'):
        head.predict(torch.randn(2, 64, 4, 5))


def test_multi_frame_head_sees_every_frame_and_single_frame_head_the_centre():
    head = ContextHeatmapHead(num_keypoints=K, in_channels=64, codec=CODEC).eval()
    feats = torch.randn(1, 5, 64, 4, 4)
    base = head(feats)
    for frame in range(5):
        changed = feats.clone()
        changed[:, frame] += 1.
        sf, mf = head(changed)
        assert torch.equal(sf, base[0]) == (frame != 2)
        assert not torch.allclose(mf, base[1])


def test_each_keypoint_takes_the_more_confident_head():
    head = ContextHeatmapHead(num_keypoints=2, in_channels=64, codec=CODEC)
    sharp, broad = gaussian_maps([(4, 5), (10, 11)], 1.), gaussian_maps([(9, 3), (6, 12)], 4.)
    # keypoint 0 is sharp in the single-frame maps, keypoint 1 in the multi-frame maps
    heatmaps_sf = torch.cat([sharp[:, :1], broad[:, 1:]], dim=1)
    heatmaps_mf = torch.cat([broad[:, :1], sharp[:, 1:]], dim=1)
    outputs = head.decode(heatmaps_sf, heatmaps_mf)
    assert outputs['confidences_sf'][0, 0] > outputs['confidences_mf'][0, 0]
    assert outputs['confidences_mf'][0, 1] > outputs['confidences_sf'][0, 1]
    torch.testing.assert_close(outputs['heatmaps_pred'], sharp)
    torch.testing.assert_close(outputs['confidences'], torch.stack(
        [outputs['confidences_sf'][:, 0], outputs['confidences_mf'][:, 1]], dim=1))
    keypoints = outputs['keypoints_pred_augmented']
    torch.testing.assert_close(keypoints[0, 0], outputs['keypoints_pred_augmented_sf'][0, 0])
    torch.testing.assert_close(keypoints[0, 1], outputs['keypoints_pred_augmented_mf'][0, 1])
    # heatmap px (4, 5) and (10, 11) at stride 4 are input px 17.5, 21.5 and 41.5, 45.5
    torch.testing.assert_close(keypoints[0], torch.tensor([[17.5, 21.5], [41.5, 45.5]]),
                               atol=0.1, rtol=0)


def test_ties_keep_the_single_frame_head():
    head = ContextHeatmapHead(num_keypoints=2, in_channels=64, codec=CODEC)
    maps = gaussian_maps([(4, 5), (10, 11)], 1.5)
    outputs = head.decode(maps, maps.flip(-1))
    torch.testing.assert_close(outputs['heatmaps_pred'], maps)


# ---------------------------------------------------------------- the tracker

class TinyBackbone(nn.Sequential):
    """A stride-32 backbone with batch norm, small enough for fast tests."""

    out_channels = 64

    def __init__(self):
        super().__init__(nn.Conv2d(3, 16, 4, stride=4), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 64, 8, stride=8))


def build(head='ContextHeatmapHead', **kwargs):
    cfg = dict(type='PoseTracker', backbone=dict(type=TinyBackbone), codec=CODEC,
               head=dict(type=head, num_keypoints=K), losses=SF_MF_LOSSES
               if head == 'ContextHeatmapHead' else [dict(type='HeatmapMSELoss')])
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


class BackboneCounter:
    """Counts backbone calls and the frames they process."""

    def __init__(self, model):
        self.calls, self.frames = 0, 0
        model.backbone.register_forward_pre_hook(self)

    def __call__(self, module, args):
        self.calls += 1
        self.frames += args[0].shape[0]


def labeled_batch(n=2, frames=5):
    keypoints = torch.tensor([[10., 12.], [30., 40.], [float('nan'), float('nan')]])
    heatmaps = torch.zeros(n, K, SIZE // 4, SIZE // 4)
    heatmaps[:, :2, 3, 3] = 1.
    shape = (n, frames, 3, SIZE, SIZE) if frames else (n, 3, SIZE, SIZE)
    return dict(inputs=torch.randint(0, 255, shape, dtype=torch.uint8),
                data_samples=dict(keypoints=keypoints.expand(n, K, 2).clone(), heatmaps=heatmaps,
                                  input_from_frame=torch.eye(3).expand(n, 3, 3),
                                  img_path=[f'img{i}.png' for i in range(n)]))


def clip(length=8):
    """A clip whose frames map to the video by different affines (scale 1 + t / 10)."""
    scales = 1 + torch.arange(length) / 10
    matrix = torch.diag_embed(torch.stack([scales, scales, torch.ones(length)], dim=1))
    return dict(inputs=torch.randint(0, 255, (length, 3, SIZE, SIZE), dtype=torch.uint8),
                data_samples=dict(input_from_frame=matrix))


def normalised(model, frames):
    return model.data_preprocessor.normalize(frames)


def test_labeled_stacks_go_through_the_backbone_in_one_pass():
    model = build()
    counter = BackboneCounter(model)
    data = model.data_preprocessor(labeled_batch(n=3), True)
    outputs = model.labeled_outputs(data['inputs'], data['data_samples'])
    assert (counter.calls, counter.frames) == (1, 15)
    assert outputs['heatmaps_pred_sf'].shape == outputs['heatmaps_targ'].shape == (3, K, 16, 16)
    for key in ('keypoints_pred', 'keypoints_pred_sf', 'keypoints_pred_mf', 'keypoints_targ'):
        assert outputs[key].shape == (3, K, 2), key


def test_a_clip_of_t_frames_sends_t_frames_through_the_backbone_once():
    model = build()
    counter = BackboneCounter(model)
    data = clip(length=10)
    outputs = model.predict_sequence(normalised(model, data['inputs']),
                                     data['data_samples']['input_from_frame'], pad=None)
    assert (counter.calls, counter.frames) == (1, 10)
    assert outputs['keypoints_pred'].shape == (6, K, 2)  # frames 2 ... 7
    outputs = model.predict_sequence(normalised(model, data['inputs']),
                                     data['data_samples']['input_from_frame'])
    assert (counter.calls, counter.frames) == (2, 20)
    assert outputs['keypoints_pred'].shape == (10, K, 2)


@torch.no_grad()
def test_predict_sequence_equals_window_wise_prediction():
    model = build().eval()
    data = clip(length=7)
    frames = normalised(model, data['inputs'])
    matrix = data['data_samples']['input_from_frame']
    padded = model.predict_sequence(frames, matrix, pad='edge')
    assert padded['keypoints_pred'].shape == (7, K, 2)
    # each frame's window of images, repeating the first / last frame at the edges
    index = torch.arange(7)[:, None] + torch.arange(-2, 3)
    windows = model.predict_outputs(frames[index.clamp(0, 6)], matrix)
    for key in ('keypoints_pred', 'keypoints_pred_sf', 'confidences_mf', 'heatmaps_pred'):
        torch.testing.assert_close(padded[key], windows[key], atol=1e-4, rtol=1e-4)
    valid = model.predict_sequence(frames, matrix, pad=None)
    for key in valid:
        torch.testing.assert_close(valid[key], padded[key][2:5], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match='needs at least 5 consecutive frames for one window'):
        model.predict_sequence(frames[:4], matrix[:4], pad=None)
    with pytest.raises(ValueError, match="pad must be 'edge' or None"):
        model.predict_sequence(frames, matrix, pad='reflect')
    assert model.predict_sequence(frames[:1], matrix[:1])['keypoints_pred'].shape == (1, K, 2)


@torch.no_grad()
def test_predict_sequence_of_a_single_frame_head_is_per_frame_prediction():
    model = build(head='HeatmapHead').eval()
    data = clip(length=6)
    frames = normalised(model, data['inputs'])
    matrix = data['data_samples']['input_from_frame']
    expected = model.predict_outputs(frames, matrix)
    for pad in ('edge', None):
        outputs = model.predict_sequence(frames, matrix, pad=pad)
        torch.testing.assert_close(outputs['keypoints_pred'], expected['keypoints_pred'])


def test_loss_mode_trains_both_heads_on_labeled_stacks_and_clips():
    model = build(unsupervised_losses=[dict(type='TemporalLoss', epsilon=1.)])
    counter = BackboneCounter(model)
    data = model.data_preprocessor(dict(labeled_batch(), unlabeled=clip()), True)
    losses = model(**data, mode='loss')
    # one backbone pass for the labeled stacks (2 x 5 frames), one for the 8-frame clip
    assert (counter.calls, counter.frames) == (2, 10 + 8)
    assert {'loss_heatmap_mse_sf', 'loss_heatmap_mse_mf', 'loss_temporal', 'pixel_error'} \
        <= set(losses)
    assert all(torch.isfinite(value).all() for value in losses.values())
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    for name in ('head.sf.upsample.1.weight', 'head.mf.pre.1.weight',
                 'head.mf.hidden_fwd.0.weight', 'head.mf.hidden_bwd.1.weight'):
        assert model.get_parameter(name).grad.abs().sum() > 0, name


def test_temporal_loss_sees_the_consecutive_windows_of_one_clip(monkeypatch):
    model = build(unsupervised_losses=[dict(type='TemporalLoss')]).eval()
    seen = []
    compute = TemporalLoss.compute
    monkeypatch.setattr(TemporalLoss, 'compute',
                        lambda self, **kw: seen.append(kw) or compute(self, **kw))
    data = model.data_preprocessor(dict(labeled_batch(), unlabeled=clip(length=9)), True)
    model(**data, mode='loss')
    keypoints, confidences = seen[0]['keypoints'], seen[0]['confidences']
    # T - 4 rows: frames 2 ... 6, no padded window, single- and multi-frame heads not
    # concatenated along time (LP's seam)
    assert keypoints.shape == (5, K, 2) and confidences.shape == (5, K)
    frames = data['unlabeled']['inputs']
    matrix = data['unlabeled']['data_samples']['input_from_frame']
    with torch.no_grad():
        for row in range(5):
            window = model.predict_outputs(frames[row:row + 5][None], matrix[row + 2][None])
            torch.testing.assert_close(keypoints[row], window['keypoints_pred'][0],
                                       atol=1e-4, rtol=1e-4)
            torch.testing.assert_close(confidences[row], window['confidences'][0],
                                       atol=1e-4, rtol=1e-4)
    # the rows are in frame pixels of their own centre frames (scale 1 + t / 10)
    augmented = model.predict_sequence(frames, matrix, pad=None)['keypoints_pred_augmented']
    torch.testing.assert_close(keypoints.detach(),
                               input_to_frame(augmented, matrix[2:7]).detach())


@torch.no_grad()
def test_predict_mode_on_context_batches():
    model = build().eval()
    data = model.data_preprocessor(labeled_batch(n=2), False)
    results = model(**data, mode='predict')
    assert len(results) == 2 and results[1]['img_path'] == 'img1.png'
    assert results[0]['keypoints'].shape == (K, 2) and results[0]['confidences'].shape == (K,)
    assert results[0]['keypoints_gt'][:2].tolist() == [[10., 12.], [30., 40.]]
    assert model(data['inputs'], mode='tensor')['heatmaps_pred_mf'].shape == (2, K, 16, 16)


def test_frame_stacks_and_heads_must_match():
    data = labeled_batch(n=1, frames=0)
    with pytest.raises(ValueError, match=r'frame stacks \(N, 5, 3, H, W\) \(set context=2 in '
                                         r'LabeledFramesDataset\), or consecutive video'):
        build().predict(data['inputs'].float(), data['data_samples'])
    data = labeled_batch(n=1, frames=5)
    with pytest.raises(ValueError, match=r'HeatmapHead predicts single frames'):
        build(head='HeatmapHead').predict(data['inputs'].float(), data['data_samples'])


def test_losses_of_both_heads_are_checked_at_build():
    assert {'keypoints_pred_sf', 'keypoints_pred_mf', 'confidences_sf'} <= set(
        build().output_keys)
    with pytest.raises(KeyError, match=r"needs output key\(s\) \['heatmaps_pred_sf'\]"):
        build(head='HeatmapHead', losses=SF_MF_LOSSES)


def test_preprocessor_normalises_frame_stacks():
    preprocessor = PoseDataPreprocessor(mean=[127.] * 3, std=[128.] * 3, channels_last=True)
    stacks = torch.full((2, 5, 3, 8, 8), 255, dtype=torch.uint8)
    stacks[:, 1] = 127
    data = preprocessor(dict(inputs=stacks, data_samples={}))
    assert data['inputs'].shape == (2, 5, 3, 8, 8) and data['inputs'].dtype == torch.float32
    assert data['inputs'][:, 1].eq(0).all() and data['inputs'][:, 0].eq(1).all()
    images = preprocessor(dict(inputs=stacks[:, 0], data_samples={}))['inputs']
    assert images.is_contiguous(memory_format=torch.channels_last)


def test_clip_is_skipped_while_unsupervised_weights_are_zero():
    model = build(head='HeatmapHead', unsupervised_losses=[dict(type='TemporalLoss')])
    counter = BackboneCounter(model)
    model.unsupervised_losses[0].weight_scale = 0.
    data = model.data_preprocessor(dict(labeled_batch(frames=0), unlabeled=clip()), True)
    losses = model(**data, mode='loss')
    assert (counter.calls, counter.frames) == (1, 2) and 'loss_temporal' not in losses
    model.unsupervised_losses[0].weight_scale = 1.
    losses = model(**data, mode='loss')
    assert (counter.calls, counter.frames) == (3, 2 + 2 + 8) and 'loss_temporal' in losses


def test_clip_pass_leaves_running_statistics_to_the_labeled_frames():
    model = build(head='HeatmapHead', unsupervised_losses=[dict(type='TemporalLoss')])
    counter = BackboneCounter(model)
    data = model.data_preprocessor(dict(labeled_batch(frames=0), unlabeled=clip()), True)
    losses = model(**data, mode='loss')
    assert (counter.calls, counter.frames) == (2, 2 + 8) and 'loss_temporal' in losses
    conv = model.backbone[0](data['inputs'])
    torch.testing.assert_close(model.backbone[1].running_mean, 0.1 * conv.mean(dim=(0, 2, 3)))
    assert model.backbone[1].momentum == 0.1


def test_several_clips_share_one_backbone_pass_and_average_their_losses():
    model = build(head='HeatmapHead', unsupervised_losses=[dict(type='TemporalLoss', epsilon=0.)])
    model.eval()  # batch statistics would differ between one and two clips
    first, second = clip(), clip()
    stacked = dict(inputs=torch.stack([first['inputs'], second['inputs']]),
                   data_samples=dict(input_from_frame=torch.stack(
                       [first['data_samples']['input_from_frame'],
                        second['data_samples']['input_from_frame']])))
    counter = BackboneCounter(model)
    both = model(**model.data_preprocessor(dict(labeled_batch(frames=0), unlabeled=stacked)),
                 mode='loss')
    assert (counter.calls, counter.frames) == (2, 2 + 16)
    singles = [model(**model.data_preprocessor(dict(labeled_batch(frames=0), unlabeled=one)),
                     mode='loss') for one in (first, second)]
    assert float(singles[0]['temporal']) != float(singles[1]['temporal'])
    for key in ('loss_temporal', 'temporal'):
        torch.testing.assert_close(both[key], (singles[0][key] + singles[1][key]) / 2)
