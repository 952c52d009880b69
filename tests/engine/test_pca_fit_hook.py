"""PCAFitHook fits the model's PCA losses on the train split's labels."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from posekit.datasets import LabeledFramesDataset
from posekit.datasets.io import write_dlc_csv
from posekit.engine.hooks import PCAFitHook
from posekit.engine.hooks.pca_fit import training_keypoints
from posekit.models.losses import Loss, PCALoss, fittable_losses, is_fittable
from posekit.registry import HOOKS, LOSSES

#: a valid 4x4 grey PNG (the datasets open every image's header)
TINY_PNG = cv2.imencode('.png', np.zeros((4, 4), np.uint8))[1].tobytes()


class FakeLabels:
    """What the hook reads of a LabeledFramesDataset: len() and get_data_info(i)."""

    def __init__(self, keypoints):
        self.keypoints = keypoints
        self.reads = 0

    def __len__(self):
        return len(self.keypoints)

    def get_data_info(self, idx):
        self.reads += 1
        return dict(keypoints=self.keypoints[idx], img_path=f'{idx}.png')


class Unreadable:
    def __len__(self):
        raise AssertionError('the dataset must not be read')


def labels(seed=0, n=30):
    """(n, 4, 2) float32 frame px: views 0 (keypoints 0, 1) and 1 (2, 3) of 3-D points."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 2, 3)) * 20
    views = [points @ rng.normal(size=(2, 3)).T + 100 for _ in range(2)]
    return np.concatenate(views, axis=1).astype(np.float32)


class Model(nn.Module):
    def __init__(self, losses=(), unsupervised_losses=()):
        super().__init__()
        self.losses = nn.ModuleList(LOSSES.build(cfg) for cfg in losses)
        self.unsupervised_losses = nn.ModuleList(LOSSES.build(cfg) for cfg in unsupervised_losses)


SINGLE = dict(type='PCASingleViewLoss', components_to_keep=3)
MULTI = dict(type='PCAMultiViewLoss', views=[[0, 1], [2, 3]])


def fake_runner(model, dataset):
    messages = []
    runner = SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=dataset),
                             logger=SimpleNamespace(info=messages.append))
    return runner, messages


def test_hook_fits_supervised_and_unsupervised_pca_losses():
    model = Model([dict(type='HeatmapMSELoss'), SINGLE], [MULTI])
    dataset = FakeLabels(labels())
    runner, messages = fake_runner(model, dataset)
    hook = HOOKS.build(dict(type='PCAFitHook'))
    assert isinstance(hook, PCAFitHook) and hook.priority == 'VERY_HIGH'
    hook.before_train(runner)
    single, multi = model.losses[1], model.unsupervised_losses[0]
    assert single.fitted and multi.fitted
    assert dataset.reads == 30  # read once for both losses
    expected = np.nanmean(labels().reshape(30, 8), 0)
    np.testing.assert_allclose(single.mean.numpy(), expected, rtol=1e-5)
    assert multi.reconstruction_error(labels()).abs().max() < 1e-3  # exact 3-D structure
    assert len(messages) == 2
    assert messages[0].startswith('PCAFitHook: fitted pca_singleview on the labels of 30 '
                                  'training frames: 3 of 8 components explaining')
    assert 'pca_multiview' in messages[1] and 'epsilon' in messages[1]


def test_hook_unwraps_models_and_datasets_and_keeps_fitted_losses():
    model = Model([MULTI])
    restored = model.losses[0]
    restored.fit(labels(seed=1))  # as if restored from a checkpoint
    mean = restored.mean.clone()
    runner, messages = fake_runner(nn.DataParallel(model), Unreadable())
    PCAFitHook().before_train(runner)
    assert (restored.mean == mean).all()
    assert 'already fitted' in messages[0] and '3 of 4 components' in messages[0]

    model = Model(unsupervised_losses=[MULTI])
    wrapper = SimpleNamespace(labeled=FakeLabels(labels()))  # a semi-supervised dataset
    runner, _ = fake_runner(nn.DataParallel(model), wrapper)
    PCAFitHook().before_train(runner)
    assert model.unsupervised_losses[0].fitted


def test_hook_without_pca_losses_reads_nothing():
    runner, messages = fake_runner(Model([dict(type='HeatmapMSELoss')]), Unreadable())
    PCAFitHook().before_train(runner)
    assert messages == []


def test_hook_reports_too_few_labels():
    runner, _ = fake_runner(Model([SINGLE]), FakeLabels(labels(n=5)))
    with pytest.raises(ValueError, match='cannot fit PCA with 5 complete rows'):
        PCAFitHook().before_train(runner)


def test_training_keypoints_of_a_labeled_frames_dataset_are_the_train_split(tmp_path):
    images = [f'labeled-data/v/img{i:03d}.png' for i in range(20)]
    for image in images:
        (tmp_path / image).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / image).write_bytes(TINY_PNG)
    keypoints = labels(n=20)
    keypoints[3, 1] = np.nan
    write_dlc_csv(str(tmp_path / 'labeled-data/v/CollectedData.csv'), images,
                  ['a', 'b', 'c', 'd'], keypoints)
    dataset = LabeledFramesDataset(ann_file='labeled-data/v/CollectedData.csv',
                                   data_root=str(tmp_path), split='train', train_prob=0.8,
                                   val_prob=0.1)
    train = training_keypoints(dataset)
    assert train.shape == (16, 4, 2) and train.dtype == np.float32
    rows = {tuple(k.ravel()) for k in np.nan_to_num(keypoints)}
    assert all(tuple(np.nan_to_num(k).ravel()) in rows for k in train)


@LOSSES.register_module(force=True)
class MedianPoseTestLoss(Loss):
    """A plug-in fittable loss that is no PCALoss: distance to the training labels' median."""

    name = 'median_pose'
    default_data_info = dict(keypoints='keypoints_pred')

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.register_buffer('median', torch.zeros(0))
        self.register_buffer('fitted', torch.tensor(False))
        self.fit_calls = 0

    def fit(self, keypoints):
        self.fit_calls += 1
        self.median = torch.as_tensor(np.nanmedian(keypoints, axis=0))
        self.fitted.fill_(True)

    def compute(self, keypoints):
        return (keypoints - self.median).norm(dim=-1)


def test_hook_fits_a_plug_in_fittable_loss_by_protocol():
    model = Model([dict(type='HeatmapMSELoss'), dict(type='MedianPoseTestLoss')], [MULTI])
    plug_in, multi = model.losses[1], model.unsupervised_losses[0]
    assert not isinstance(plug_in, PCALoss) and is_fittable(plug_in)
    assert fittable_losses(nn.DataParallel(model)) == [plug_in, multi]
    dataset = FakeLabels(labels())
    runner, messages = fake_runner(model, dataset)
    PCAFitHook().before_train(runner)
    assert plug_in.fitted and plug_in.fit_calls == 1 and multi.fitted
    assert dataset.reads == 30  # the labels are read once for both losses
    np.testing.assert_array_equal(plug_in.median.numpy(), np.nanmedian(labels(), axis=0))
    assert messages[0] == 'PCAFitHook: fitted median_pose on the labels of 30 training frames'
    PCAFitHook().before_train(runner)  # restored from a checkpoint: kept, not refitted
    assert plug_in.fit_calls == 1
    assert messages[2] == ('PCAFitHook: median_pose already fitted (e.g. restored from a '
                           'checkpoint), kept')


def test_fittable_needs_a_callable_fit_and_a_boolean_fitted():
    class Fits:
        def __init__(self, fitted):
            self.fitted = fitted

        def fit(self, keypoints):
            self.fitted = True

    assert is_fittable(Fits(False)) and is_fittable(Fits(np.bool_(True)))
    assert is_fittable(Fits(torch.tensor(True)))
    for fitted in (0, 'no', None, torch.tensor(1.), torch.tensor([True, False])):
        assert not is_fittable(Fits(fitted)), fitted
    no_fit = Fits(False)
    no_fit.fit = 'not callable'
    assert not is_fittable(no_fit)
    assert not is_fittable(LOSSES.build(dict(type='HeatmapMSELoss')))
