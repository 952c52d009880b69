"""Multiview PoseTracker: views folded into one backbone batch, outputs with a view axis."""
import numpy as np
import pytest
import torch
from torch import nn

from posekit.datasets.metainfo import build_metainfo
from posekit.evaluation.metrics import PixelError
from posekit.geometry3d import Calibration, Camera, write_calibration
from posekit.inference.metrics import pca_error_tables
from posekit.models.losses import Loss, TemporalLoss
from posekit.models.outputs import OUTPUT_KEYS, base_key
from posekit.models.views import fold_views, unfold_views
from posekit.registry import LOSSES, MODELS

NAMES = ['nose', 'tail']
SIZE = 64
CODEC = dict(type='HeatmapCodec', input_size=(SIZE, SIZE), stride=4, sigma=1.25)
# the toy multiview cameras' frame sizes (W, H): top 160 x 96, bottom 160 x 112
FRAMES = dict(top=(160, 96), bottom=(160, 112))


class TinyBackbone(nn.Sequential):
    """A stride-32 backbone with batch norm, small enough for fast tests."""

    out_channels = 64

    def __init__(self):
        super().__init__(nn.Conv2d(3, 16, 4, stride=4), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 64, 8, stride=8))


@LOSSES.register_module(force=True)
class ShapeRecorder(Loss):
    """Records the shape of the keypoints it receives (a test double); loss 0."""

    name = 'shape_recorder'
    default_data_info = dict(keypoints='keypoints_pred')

    def __init__(self, view_axis: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.view_axis = view_axis
        self.shapes = []

    def compute(self, keypoints):
        self.shapes.append(tuple(keypoints.shape))
        return keypoints.sum(-1) * 0


def build(views=('top', 'bottom'), **kwargs):
    metainfo = build_metainfo(NAMES, view_names=list(views) if views else None)
    cfg = dict(type='PoseTracker', backbone=dict(type=TinyBackbone), codec=CODEC,
               head=dict(type='HeatmapHead'), metainfo=metainfo,
               losses=[dict(type='HeatmapMSELoss')])
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def resize_matrix(width, height):
    """Frame → input pixels of ``Resize`` to SIZE x SIZE: ``x -> (x + 0.5) s - 0.5``."""
    sx, sy = SIZE / width, SIZE / height
    return torch.tensor([[sx, 0., 0.5 * sx - 0.5], [0., sy, 0.5 * sy - 0.5], [0., 0., 1.]])


def multiview_batch(n=2):
    """``n`` instants seen by top and bottom, resized to SIZE x SIZE; both keypoints labeled."""
    generator = torch.Generator().manual_seed(1)
    matrices = torch.stack([resize_matrix(*FRAMES[v]) for v in FRAMES])
    keypoints = torch.tensor([[[20., 24.], [40., 36.]], [[22., 30.], [44., 38.]]])
    heatmaps = torch.zeros(n, 2, 2, SIZE // 4, SIZE // 4)
    heatmaps[..., 5, 6] = 1.
    return dict(inputs=torch.randint(0, 255, (n, 2, 3, SIZE, SIZE), dtype=torch.uint8,
                                     generator=generator),
                data_samples=dict(keypoints=keypoints.expand(n, 2, 2, 2).clone(),
                                  heatmaps=heatmaps,
                                  input_from_frame=matrices.expand(n, 2, 3, 3).clone(),
                                  flip_indices=torch.arange(2).expand(n, 2, 2).clone(),
                                  img_path=[[f'top{i}.png' for i in range(n)],
                                            [f'bottom{i}.png' for i in range(n)]],
                                  set=[['train'] * n, ['train'] * n],
                                  view_names=[['top'] * n, ['bottom'] * n]))


def view_batch(batch, v):
    """View ``v`` of a multiview batch as a single-view batch."""
    samples = {key: value[:, v] for key, value in batch['data_samples'].items()
               if isinstance(value, torch.Tensor)}
    return batch['inputs'][:, v], samples


def test_fold_and_unfold_are_sample_major_round_trips():
    values = torch.arange(2 * 3 * 4).reshape(2, 3, 4)
    folded = fold_views(dict(x=values, meta=['a', 'b'], other=torch.zeros(5, 3)), 2, 3)
    assert folded['x'].shape == (6, 4) and folded['meta'] == ['a', 'b']
    assert folded['other'].shape == (5, 3)  # not (N, V, ...): kept
    assert torch.equal(folded['x'][1 * 3 + 2], values[1, 2])  # row n·V + v
    assert torch.equal(unfold_views(dict(x=folded['x']), 3)['x'], values)


def test_views_are_one_backbone_batch_and_outputs_have_a_view_axis():
    model = build().eval()
    calls = []
    model.backbone.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape))
    batch = multiview_batch()
    inputs = model.data_preprocessor.normalize(batch['inputs'])
    outputs = model.labeled_outputs(inputs, batch['data_samples'])
    assert calls == [(4, 3, SIZE, SIZE)]  # 2 instants x 2 views, one pass
    shapes = dict(N='2', V='2', K='2', h=str(SIZE // 4), w=str(SIZE // 4))
    for key, value in outputs.items():
        expected = OUTPUT_KEYS[base_key(key)].multiview_shape
        assert OUTPUT_KEYS[base_key(key)].view_axis
        assert tuple(value.shape) == tuple(int(shapes.get(d, d)) for d in
                                           expected.strip('()').split(', ')), key
    assert outputs['keypoints_targ'].shape == (2, 2, 2, 2)
    # the labels come back in each view's own frame pixels: x -> (x + 0.5) 160 / 64 - 0.5,
    # y -> (y + 0.5) 96 / 64 - 0.5 (top) or (y + 0.5) 112 / 64 - 0.5 (bottom)
    torch.testing.assert_close(outputs['keypoints_targ'][0],
                               torch.tensor([[[50.75, 36.25], [100.75, 54.25]],
                                             [[55.75, 52.875], [110.75, 66.875]]]))


def test_each_view_comes_back_in_its_own_frame_pixels():
    """Top (160 x 96) and bottom (160 x 112) resized to 64 x 64: same input keypoint, different
    frame keypoints; and the multiview prediction equals each view predicted alone."""
    model = build().eval()
    batch = multiview_batch()
    inputs = model.data_preprocessor.normalize(batch['inputs'])
    results = model.predict(inputs, batch['data_samples'])
    assert len(results) == 2
    assert results[1]['keypoints'].shape == (2, 2, 2) and results[1]['confidences'].shape == (2, 2)
    assert results[1]['img_path'] == ['top1.png', 'bottom1.png']
    assert results[1]['view_names'] == ['top', 'bottom'] and results[1]['set'] == 'train'
    raw = model.predict_outputs(inputs.flatten(0, 1),
                                batch['data_samples']['input_from_frame'].flatten(0, 1))
    augmented = raw['keypoints_pred_augmented'].unflatten(0, (2, 2))
    for v, (width, height) in enumerate(FRAMES.values()):
        # frame x = (x_in + 0.5) W / 64 - 0.5, y likewise with the view's own height
        expected = (augmented[:, v] + 0.5) * torch.tensor([width / SIZE, height / SIZE]) - 0.5
        for n in range(2):
            torch.testing.assert_close(results[n]['keypoints'][v], expected[n],
                                       rtol=0, atol=1e-4)
        view_inputs, view_samples = view_batch(batch, v)
        alone = model.predict(model.data_preprocessor.normalize(view_inputs), view_samples)
        for n in range(2):
            torch.testing.assert_close(results[n]['keypoints'][v], alone[n]['keypoints'])
            torch.testing.assert_close(results[n]['keypoints_gt'][v], alone[n]['keypoints_gt'])
    bottom_y = results[0]['keypoints_gt'][1, :, 1]
    torch.testing.assert_close(bottom_y, torch.tensor([52.875, 66.875]))


def test_per_view_supervised_loss_is_the_mean_of_the_single_view_losses():
    model = build().eval()  # batch norm by running statistics: a view's output is its own
    batch = multiview_batch()
    inputs = model.data_preprocessor.normalize(batch['inputs'])
    multiview = model.loss(inputs, batch['data_samples'])['loss_heatmap_mse']
    single = [model.loss(model.data_preprocessor.normalize(view_inputs), samples)
              ['loss_heatmap_mse'] for view_inputs, samples in
              (view_batch(batch, v) for v in range(2))]
    assert multiview.item() > 0
    assert multiview.item() == pytest.approx((single[0].item() + single[1].item()) / 2,
                                             rel=1e-6)


def test_losses_receive_the_view_axis_or_folded_views():
    model = build(losses=[dict(type='ShapeRecorder', name='folded'),
                          dict(type='ShapeRecorder', name='viewed', view_axis=True)],
                  unsupervised_losses=[dict(type='ShapeRecorder', name='clip_folded'),
                                       dict(type='ShapeRecorder', name='clip_viewed',
                                            view_axis=True)])
    calls = []
    model.backbone.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape))
    batch = multiview_batch()
    clip = dict(inputs=torch.randint(0, 255, (2, 5, 3, SIZE, SIZE), dtype=torch.uint8),
                data_samples=dict(input_from_frame=torch.eye(3).expand(2, 5, 3, 3)))
    data = model.data_preprocessor(dict(batch, unlabeled=clip))
    results = model.loss(data['inputs'], data['data_samples'], data['unlabeled'])
    assert {'loss_folded', 'loss_viewed', 'loss_clip_folded', 'loss_clip_viewed'} <= set(results)
    folded, viewed, clip_folded, clip_viewed = (loss.shapes for loss in
                                                [*model.losses, *model.unsupervised_losses])
    assert folded == [(4, 2, 2)] and viewed == [(2, 2, 2, 2)]
    assert clip_folded == [(10, 2, 2)] and clip_viewed == [(5, 2, 2, 2)]  # (T, V, K, 2)
    assert calls == [(4, 3, SIZE, SIZE), (10, 3, SIZE, SIZE)]
    with pytest.raises(ValueError, match=r"views \['top', 'bottom'\] take clips \(B, 2, T"):
        model._clip_losses(torch.zeros(1, 3, 5, 3, SIZE, SIZE), torch.eye(3).expand(1, 3, 5, 3, 3))


def test_single_view_models_are_unchanged_by_the_view_machinery():
    model = build(views=None).eval()
    assert model.view_names is None
    batch = multiview_batch()
    view_inputs, samples = view_batch(batch, 0)
    results = model.predict(model.data_preprocessor.normalize(view_inputs),
                            dict(samples, img_path=['a.png', 'b.png']))
    assert results[0]['keypoints'].shape == (2, 2) and results[1]['img_path'] == 'b.png'


def test_temporal_loss_compares_each_view_with_itself():
    keypoints = torch.zeros(3, 2, 1, 2)  # (T, V, K, 2)
    keypoints[1, 0, 0] = torch.tensor([3., 4.])  # view 0 jumps 5 px and back
    keypoints[:, 1, 0, 0] = torch.tensor([0., 1., 2.])  # view 1 moves 1 px per frame
    distance, valid = TemporalLoss().compute(keypoints)
    assert distance.tolist() == [[[5.], [1.]], [[5.], [1.]]] and valid.all()


def test_pixel_error_per_view():
    metric = PixelError()
    metric.dataset_meta = {}
    gt = np.zeros((2, 2, 2))
    for shift, set_ in ((1., 'train'), (3., 'test')):
        keypoints = gt.copy()
        keypoints[0] += shift  # top off by (shift, shift)
        keypoints[1, :, 0] += 2 * shift  # bottom off by 2 shift in x
        metric.process(None, [dict(keypoints=keypoints, keypoints_gt=gt, set=set_,
                                   view_names=['top', 'bottom'])])
    metrics = metric.evaluate(2)
    assert metrics['pixel_error_top_train'] == pytest.approx(np.sqrt(2))
    assert metrics['pixel_error_bottom_test'] == pytest.approx(6.)
    assert metrics['pixel_error_bottom'] == pytest.approx(4.)
    assert metrics['pixel_error'] == pytest.approx((np.sqrt(2) * 4 + 2 + 6) / 4)


def test_metainfo_view_names_are_checked():
    assert build_metainfo(NAMES, view_names=('a', 'b'))['view_names'] == ['a', 'b']
    assert 'view_names' not in build_metainfo(NAMES)
    with pytest.raises(ValueError, match='at least two distinct camera views'):
        build_metainfo(NAMES, view_names=['a', 'a'])


def camera_pca(**kwargs):
    """A multi-view PCA loss across the cameras top and bottom, fit on hand-made labels.

    Body part k (nose 0, tail 1) at frame t is at (t + k, 2t) in top and (3t, 10 - t + k) in
    bottom: the rows [x_top, y_top, x_bot, y_bot] fill the plane through (0, 0, 0, 10)
    spanned by (1, 2, 3, -1) and (1, 0, 0, 1).
    """
    loss = LOSSES.build(dict(type='PCAMultiViewLoss', components_to_keep=2, epsilon=0.,
                             **kwargs))
    loss.bind(None, build_metainfo(NAMES, view_names=['top', 'bottom']))
    t = torch.arange(6.)[:, None]
    k = torch.arange(2.)[None]
    labels = torch.stack([torch.stack([t + k, 2 * t + 0 * k], -1),
                          torch.stack([3 * t + 0 * k, 10 - t + k], -1)], dim=1)
    assert labels.shape == (6, 2, 2, 2)  # (N, V, K, 2)
    info = loss.fit(labels.numpy())
    assert info['rows'] == 12 and info['dim'] == 4
    return loss


def test_multiview_pca_across_cameras_by_hand():
    loss = camera_pca()
    # nose at t = 0.5 moved off the plane by (0, 3, -2, 0), orthogonal to it: errors 3 in
    # top and 2 in bottom; tail at t = 2 on the plane: 0
    keypoints = torch.tensor([[[[0.5, 4.], [3., 4.]], [[-0.5, 9.5], [6., 9.]]]])
    errors, valid = loss.compute(keypoints)
    torch.testing.assert_close(errors, torch.tensor([[[3., 0.], [2., 0.]]]), atol=1e-4,
                               rtol=0)
    assert valid.all()
    value, _ = loss(dict(keypoints_pred=keypoints))
    assert value.item() == pytest.approx(1.25, abs=1e-4)
    # a body part missing in one view is excluded in both
    keypoints[0, 1, 1] = float('nan')
    value, _ = loss(dict(keypoints_pred=keypoints))
    assert value.item() == pytest.approx(2.5, abs=1e-4)
    with pytest.raises(ValueError, match=r'expected keypoints \(N, V, K, 2\) with \(V, K\) = '
                                         r'\(2, 2\), got \(1, 4, 2\)'):
        loss.compute(keypoints.flatten(1, 2))


def test_multiview_pca_camera_names_are_checked():
    with pytest.raises(KeyError, match=r"unknown camera view\(s\) \['side'\]"):
        camera_pca(views=['top', 'side'])
    with pytest.raises(ValueError, match='give views as camera names, not keypoints'):
        camera_pca(views=[['nose'], ['tail']])


def test_reprojection_loss_takes_the_cameras_in_the_metainfo_view_order(tmp_path):
    cameras = [Camera(name, (100, 100), np.array([[100., 0., 50.], [0., 100., 50.],
                                                  [0., 0., 1.]]),
                      np.zeros(5), np.zeros(3), np.array([-x, 0., 0.]))
               for name, x in (('top', 0.), ('bottom', 1.))]
    path = str(tmp_path / 'session1.toml')
    write_calibration(path, Calibration(cameras))
    metainfo = build_metainfo(NAMES, view_names=['bottom', 'top'], calibration=path)
    loss = LOSSES.build(dict(type='ReprojectionLoss'))
    loss.bind(None, metainfo)
    assert loss.cameras.names == ['bottom', 'top'] and loss.view_axis


def test_one_views_video_predictions_skip_the_multiview_pca_tables():
    model = build(unsupervised_losses=[dict(type='PCAMultiViewLoss', components_to_keep=2,
                                            epsilon=0.),
                                       dict(type='PCASingleViewLoss', components_to_keep=1)])
    model.unsupervised_losses[0].fit(np.random.default_rng(0).normal(size=(10, 2, 2, 2)))
    model.unsupervised_losses[1].fit(np.random.default_rng(1).normal(size=(10, 2, 2)))
    tables = pca_error_tables(model, np.zeros((3, 2, 2)), NAMES)
    assert list(tables) == ['pca_singleview_error']
    assert tables['pca_singleview_error'].shape == (3, 2)
