import pytest
import torch

from posekit.models.trackers import CheckpointMismatchError
from posekit.registry import MODELS


def build(num_keypoints=3, **kwargs):
    cfg = dict(type='PoseTracker', backbone=dict(type='ResNet', depth=18),
               codec=dict(type='HeatmapCodec', input_size=(64, 64)),
               head=dict(type='HeatmapHead', num_keypoints=num_keypoints),
               losses=[dict(type='HeatmapMSELoss')])
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=2, k=3, size=64):
    keypoints = torch.tensor([[10., 12.], [30., 40.], [float('nan'), float('nan')]])[:k]
    heatmaps = torch.zeros(n, k, size // 4, size // 4)
    heatmaps[:, :, 3, 3] = 1.
    heatmaps[:, 2] = 0.
    scale = torch.diag(torch.tensor([0.5, 0.5, 1.]))  # frame is twice the input size
    return dict(inputs=torch.randint(0, 255, (n, 3, size, size), dtype=torch.uint8),
                data_samples=dict(keypoints=keypoints.expand(n, k, 2).clone(),
                                  heatmaps=heatmaps, input_from_frame=scale.expand(n, 3, 3),
                                  img_path=['a.png', 'b.png'][:n], set=['train', 'test'][:n]))


def test_loss_mode_returns_weighted_losses_and_logs():
    model = build()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_heatmap_mse', 'heatmap_mse', 'heatmap_mse_weight',
                           'pixel_error'}
    assert losses['loss_heatmap_mse'].requires_grad
    assert losses['loss_heatmap_mse'].item() == pytest.approx(losses['heatmap_mse'].item())
    # initial heatmaps are almost uniform: the loss is sum((t - 1/256)^2) ~ 1 per labeled map
    assert losses['heatmap_mse'].item() == pytest.approx(1 - 2 / 256 + 1 / 256, abs=0.01)
    assert torch.isfinite(losses['pixel_error'])


def test_predict_mode_returns_frame_pixels_per_sample():
    model = build().eval()
    data = model.data_preprocessor(batch(), False)
    results = model(**data, mode='predict')
    assert len(results) == 2
    assert results[0]['keypoints'].shape == (3, 2)
    assert results[0]['confidences'].shape == (3,)
    # labels are given in input px (x0.5 of frame px): mapped back to frame px
    assert results[0]['keypoints_gt'][:2].tolist() == [[20., 24.], [60., 80.]]
    assert results[1]['set'] == 'test' and results[1]['img_path'] == 'b.png'
    # predictions are the head's input-px keypoints mapped to the 128-px frame
    augmented = model(data['inputs'], mode='tensor')['keypoints_pred_augmented']
    torch.testing.assert_close(results[0]['keypoints'], augmented[0] * 2)


def test_missing_output_key_fails_at_build():
    with pytest.raises(KeyError, match=r"HeatmapMSELoss \('heatmap_mse'\) needs output key\(s\) "
                                       r"\['heatmaps_sf'\].*HeatmapHead on labeled data "
                                       r"produces \["):
        build(losses=[dict(type='HeatmapMSELoss', data_info=dict(pred='heatmaps_sf'))])
    with pytest.raises(KeyError, match=r"needs output key\(s\) \['heatmaps_targ'\].*"
                                       r"on unlabeled video"):
        build(unsupervised_losses=[dict(type='HeatmapMSELoss', name='mse_unlabeled')])


def test_duplicate_loss_names_are_refused():
    with pytest.raises(ValueError, match=r"loss names must be unique, \['heatmap_mse'\] repeat"):
        build(losses=[dict(type='HeatmapMSELoss'), dict(type='HeatmapMSELoss')])


def test_checkpoint_with_other_keypoint_count_is_refused():
    state = build(num_keypoints=4).state_dict()
    with pytest.raises(CheckpointMismatchError,
                       match=r"'head.upsample.1.weight' has shape \(128, 4, 3, 3\), the model "
                             r"built from the config expects \(128, 3, 3, 3\)\. The head "
                             r"predicts 3 keypoints"):
        build(num_keypoints=3).load_state_dict(state)
