from types import SimpleNamespace

import pytest
import torch
from torch import nn

from posekit.apis import prepare_train_config
from posekit.apis.config import load_config
from posekit.engine.hooks import (BackboneUnfreezeHook, TimeBudgetHook, UnsupervisedWarmupHook,
                                  backbone_lr_ratio)
from posekit.engine.loops import LabeledUnlabeledLoader
from posekit.engine.optim_constructor import BackboneHeadOptimWrapperConstructor


class CountingSampler:
    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


class FakeLoader(list):
    """A list of batches standing in for a DataLoader."""

    def __init__(self, items, sampler=None):
        super().__init__(items)
        self.sampler = sampler or CountingSampler()
        self.dataset = 'labeled-dataset'


def test_epoch_has_max_of_labeled_batches_and_min_steps_and_cycles_labeled():
    labeled = FakeLoader([{'i': 0}, {'i': 1}, {'i': 2}])
    clips = FakeLoader([f'clip{j}' for j in range(100)])
    loader = LabeledUnlabeledLoader(labeled, clips, min_steps=7)
    assert len(loader) == 7
    steps = list(loader)
    assert [s['i'] for s in steps] == [0, 1, 2, 0, 1, 2, 0]
    assert [s['unlabeled'] for s in steps] == [f'clip{j}' for j in range(7)]
    assert loader.dataset == 'labeled-dataset' and loader.sampler is labeled.sampler


def test_unlabeled_clips_continue_across_epochs_and_cycle_with_new_sampler_epoch():
    labeled = FakeLoader([{'i': k} for k in range(5)])
    clips = FakeLoader(['a', 'b', 'c'])
    loader = LabeledUnlabeledLoader(labeled, clips, min_steps=2)
    first, second = list(loader), list(loader)
    assert [s['unlabeled'] for s in first + second] == ['a', 'b', 'c', 'a', 'b',
                                                        'c', 'a', 'b', 'c', 'a']
    assert [s['i'] for s in first] == [0, 1, 2, 3, 4]
    assert clips.sampler.epochs == [0, 1, 2, 3]  # a new sampler epoch for every pass


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(2, 2)
        self.head = nn.Linear(2, 2)
        self.unsupervised_losses = [SimpleNamespace(weight_scale=1.), SimpleNamespace(
            weight_scale=1.)]


def fake_runner(model, epoch=0):
    hub = SimpleNamespace(scalars={})
    hub.update_scalar = lambda key, value: hub.scalars.__setitem__(key, value)
    return SimpleNamespace(model=model, epoch=epoch, message_hub=hub)


def test_warmup_ramps_weight_per_epoch_and_resumes_from_checkpoint():
    model = Model()
    hook = UnsupervisedWarmupHook(start_epoch=1, increase_per_epoch=0.25)
    weights = []
    for epoch in range(7):
        hook.before_train_epoch(fake_runner(model, epoch))
        weights.append(model.unsupervised_losses[0].weight_scale)
    assert weights == [0., 0., 0.25, 0.5, 0.75, 1., 1.]
    assert model.unsupervised_losses[1].weight_scale == 1.
    # save after epoch 3, resume in a fresh hook at epoch 4
    partial = UnsupervisedWarmupHook(start_epoch=1, increase_per_epoch=0.25)
    for epoch in range(4):
        partial.before_train_epoch(fake_runner(model, epoch))
    checkpoint = {}
    partial.before_save_checkpoint(None, checkpoint)
    assert checkpoint['unsupervised_warmup'] == {'weight': 0.5}
    resumed = UnsupervisedWarmupHook(start_epoch=1, increase_per_epoch=0.25)
    resumed.after_load_checkpoint(None, checkpoint)
    resumed.before_train_epoch(fake_runner(model, 4))
    assert model.unsupervised_losses[0].weight_scale == 0.75
    runner = fake_runner(model, 4)
    resumed.before_train_iter(runner, 0)
    assert runner.message_hub.scalars == {'train/unsupervised_weight': 0.75}


def test_backbone_lr_ratio_follows_lightning_pose_schedule():
    ratios = [backbone_lr_ratio(e, 3, 0.1, 1.5) for e in range(10)]
    assert ratios[:3] == [0., 0., 0.]
    assert ratios[3:8] == pytest.approx([0.1, 0.15, 0.225, 0.3375, 0.50625])
    assert ratios[9] == pytest.approx(1.0)  # 0.1 * 1.5**6 = 1.139 capped


def test_backbone_unfreeze_hook_sets_backbone_group_lr():
    model = Model()
    constructor = BackboneHeadOptimWrapperConstructor(
        dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01)))
    wrapper = constructor(model)
    groups = wrapper.optimizer.param_groups
    assert [g['name'] for g in groups] == ['head', 'backbone']
    assert {id(p) for p in groups[1]['params']} == {id(p) for p in model.backbone.parameters()}
    runner = fake_runner(model, epoch=0)
    runner.optim_wrapper = wrapper
    hook = BackboneUnfreezeHook(unfreeze_epoch=2)
    hook.before_train_epoch(runner)
    assert groups[1]['lr'] == 0. and groups[0]['lr'] == 0.01
    runner.epoch = 3
    hook.before_train_epoch(runner)
    assert groups[1]['lr'] == pytest.approx(0.01 * 0.15)
    wrapper.optimizer.param_groups[1].pop('name')
    with pytest.raises(ValueError, match="needs optimizer groups named 'backbone' and 'head'"):
        hook.before_train_epoch(runner)


def test_frozen_backbone_does_not_move():
    model = Model()
    wrapper = BackboneHeadOptimWrapperConstructor(
        dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=0.1)))(model)
    runner = fake_runner(model)
    runner.optim_wrapper = wrapper
    BackboneUnfreezeHook(unfreeze_epoch=5).before_train_epoch(runner)
    before = model.backbone.weight.detach().clone()
    head_before = model.head.weight.detach().clone()
    loss = model.head(model.backbone(torch.ones(1, 2))).sum()
    wrapper.update_params(loss)
    assert torch.equal(model.backbone.weight, before)
    assert not torch.equal(model.head.weight, head_before)


def test_time_budget_makes_the_current_epoch_the_last(monkeypatch):
    clock = iter([100., 100. + 59., 100. + 61.])
    monkeypatch.setattr('posekit.engine.hooks.time_budget.time.monotonic', lambda: next(clock))
    runner = fake_runner(Model(), epoch=3)
    runner.train_loop = SimpleNamespace(_max_epochs=300)
    runner.logger = SimpleNamespace(info=lambda msg: None)
    hook = TimeBudgetHook(minutes=1)
    hook.before_train_iter(runner, 0)
    hook.after_train_epoch(runner)  # 59 s: keep going
    assert runner.train_loop._max_epochs == 300
    hook.after_train_epoch(runner)  # 61 s: epoch 3 (0-based) is the last
    assert runner.train_loop._max_epochs == 4


def test_train_time_budget_option_adds_the_hook_after_the_configs_own(tmp_path):
    cfg = load_config('configs/heatmap_semi.py')
    prepare_train_config(cfg, work_dir=str(tmp_path), time_budget=20)
    assert [h['type'] for h in cfg.custom_hooks] == ['UnsupervisedWarmupHook',
                                                     'TimeBudgetHook', 'BudgetScheduleHook']
    assert cfg.custom_hooks[1]['minutes'] == 20
    assert cfg.custom_hooks[2] == dict(type='BudgetScheduleHook', minutes=20, max_steps=None)
