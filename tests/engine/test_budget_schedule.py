import io
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.optim.scheduler import MultiStepLR
from mmengine.runner import EpochBasedTrainLoop
from torch import nn

from posekit.apis.config import budget_hooks, load_config
from posekit.apis.config_checks import check_cfg_options
from posekit.engine.hooks import BudgetScheduleHook, UnsupervisedWarmupHook
from posekit.engine.hooks.safe_checkpoint import to_plain
from posekit.engine.schedule_plan import SchedulePlan, plan_epochs, validation_interval

STEPS_PER_EPOCH = 5


class Clock:
    """A settable stand-in for time.monotonic."""

    def __init__(self):
        self.now = 0.

    def __call__(self):
        return self.now


class Runner(SimpleNamespace):
    """The parts of an mmengine Runner the hooks read, with a loop of ``max_epochs``."""

    def __init__(self, max_epochs=300, milestones=(150, 200, 250), val_interval=10,
                 warmup=None):
        model = nn.Linear(1, 1)
        model.unsupervised_losses = [SimpleNamespace(weight_scale=1.)]
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        scheduler = MultiStepLR(optimizer, milestones=list(milestones), gamma=0.5)
        loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)  # its state, no runner
        loop.__dict__.update(dataloader=[None] * STEPS_PER_EPOCH, _max_epochs=max_epochs,
                             val_interval=val_interval, dynamic_milestones=[0],
                             dynamic_intervals=[val_interval])
        hub = SimpleNamespace(scalars={})
        hub.update_scalar = lambda key, value: hub.scalars.__setitem__(key, value)
        self.messages = []
        super().__init__(
            model=model, optimizer=optimizer, param_schedulers=[scheduler], train_loop=loop,
            iter=0, epoch=0, message_hub=hub,
            hooks=[CheckpointHook(interval=10)] + ([warmup] if warmup else []),
            logger=SimpleNamespace(info=self.messages.append))

    @property
    def lr(self):
        return self.optimizer.param_groups[0]['lr']


def train(runner, hook, steps, clock, seconds_per_step, first_steps_seconds=0.):
    """Drive ``steps`` iterations as EpochBasedTrainLoop + ParamSchedulerHook do; return the
    LR each step trained with."""
    lrs = []
    for _ in range(steps):
        hook.before_train_iter(runner, 0)
        lrs.append(runner.lr)
        clock.now += first_steps_seconds if runner.iter < 3 else seconds_per_step
        runner.optimizer.step()
        hook.after_train_iter(runner, 0)
        for scheduler in runner.param_schedulers:
            if not scheduler.by_epoch:
                scheduler.step()
        runner.iter += 1
        if runner.iter % STEPS_PER_EPOCH == 0:
            for scheduler in runner.param_schedulers:
                if scheduler.by_epoch:
                    scheduler.step()
            runner.epoch += 1
    return lrs


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr('posekit.engine.hooks.budget_schedule.time.monotonic', clock)
    return clock


def test_measured_step_time_rescales_milestones_to_the_budget(clock):
    runner = Runner()
    hook = BudgetScheduleHook(minutes=2)  # skip 3 steps, time 10, keep 10 % in reserve
    hook.before_train(runner)
    assert hook.plan is None  # a time budget waits for the measurement
    lrs = train(runner, hook, 13, clock, seconds_per_step=1.5, first_steps_seconds=2.)
    # 3 x 2 s + 10 x 1.5 s = 21 s used; (120 - 21) * 0.9 / 1.5 = 59.4 -> 59 more steps;
    # 13 + 59 = 72 steps -> 14 whole epochs of 5 = 70 steps
    plan = hook.plan
    assert (plan.step_time, plan.epochs, plan.total_steps) == (1.5, 14, 70)
    assert runner.train_loop._max_epochs == 14 and runner.train_loop._max_iters == 70
    # 150/200/250 of 300 epochs -> 35, 46.67, 58.33 of 70 steps
    scheduler = runner.param_schedulers[0]
    assert not scheduler.by_epoch and dict(scheduler.milestones) == {35: 1, 47: 1, 58: 1}
    # at least 5 validations in 14 epochs: every 2 (the config said 10); checkpoints too
    assert runner.train_loop.val_interval == 2 and runner.train_loop.dynamic_intervals == [2]
    assert runner.hooks[0].interval == 2
    lrs += train(runner, hook, 57, clock, seconds_per_step=1.5)
    assert lrs[34] == 1e-3 and lrs[35] == 5e-4 and lrs[46] == 5e-4
    assert lrs[47] == 2.5e-4 and lrs[57] == 2.5e-4 and lrs[58] == 1.25e-4 == lrs[69]
    assert runner.messages == [
        'BudgetScheduleHook: planned 70 steps = 14 epochs x 5 (measured 1.500 s/step), '
        'schedule of 300 epochs rescaled; LR milestones (steps): [[35, 47, 58]]; validation '
        'and checkpoint every 2 epochs and at the end']


def test_max_steps_plans_at_the_start_rounded_up_to_whole_epochs(clock):
    runner = Runner(max_epochs=150, milestones=(100, 130))
    hook = BudgetScheduleHook(max_steps=402)
    hook.before_train(runner)
    assert (hook.plan.epochs, hook.plan.total_steps, hook.plan.step_time) == (81, 405, None)
    assert dict(runner.param_schedulers[0].milestones) == {270: 1, 351: 1}
    assert runner.train_loop.val_interval == 10  # 81 // 5 = 16: the config's 10 is enough
    lrs = train(runner, hook, 405, clock, seconds_per_step=1.)
    assert (lrs[269], lrs[270], lrs[350], lrs[351]) == (1e-3, 5e-4, 5e-4, 2.5e-4)


def test_time_budget_is_capped_by_max_steps(clock):
    runner = Runner()
    hook = BudgetScheduleHook(minutes=60, max_steps=50)
    train(runner, hook, 13, clock, seconds_per_step=1.)
    assert hook.plan.total_steps == 50 and dict(runner.param_schedulers[0].milestones) == {
        25: 1, 33: 1, 42: 1}


def test_a_budget_longer_than_the_recipe_keeps_the_recipe(clock):
    runner = Runner(max_epochs=20, milestones=(10, 15))
    hook = BudgetScheduleHook(minutes=60)
    train(runner, hook, 13, clock, seconds_per_step=1.)  # 3000+ steps fit; the recipe has 100
    assert (hook.plan.epochs, hook.plan.total_steps) == (20, 100)
    assert dict(runner.param_schedulers[0].milestones) == {50: 1, 75: 1}  # as 10, 15 epochs
    assert runner.train_loop.val_interval == 4  # 20 // 5 validations


def test_unsupervised_warmup_follows_the_budget(clock):
    warmup = UnsupervisedWarmupHook(start_epoch=30, increase_per_epoch=0.02)
    runner = Runner(max_epochs=150, milestones=(100, 130), warmup=warmup)
    BudgetScheduleHook(max_steps=600).before_train(runner)  # 120 epochs of 5
    # step s is reference epoch s * 150 / 600: the ramp starts at step 120 (epoch 30) and
    # reaches 1 at step 320 (epoch 80), as epochs 30 -> 80 of the 150-epoch recipe
    assert [warmup.weight_at(s) for s in (0, 120, 200, 300, 320, 599)] == pytest.approx(
        [0., 0., 0.4, 0.9, 1., 1.])
    runner.iter = 200
    warmup.before_train_epoch(runner)  # no per-epoch increment under a plan
    warmup.before_train_iter(runner, 0)
    assert runner.model.unsupervised_losses[0].weight_scale == pytest.approx(0.4)
    assert runner.message_hub.scalars['train/unsupervised_weight'] == pytest.approx(0.4)


def test_resume_restores_the_plan_and_the_step_schedule(clock):
    runner = Runner()
    hook = BudgetScheduleHook(minutes=2)
    train(runner, hook, 13, clock, seconds_per_step=1.5, first_steps_seconds=2.)
    train(runner, hook, 27, clock, seconds_per_step=1.5)  # 40 steps, past milestone 35
    checkpoint = {'param_schedulers': [s.state_dict() for s in runner.param_schedulers]}
    hook.before_save_checkpoint(runner, checkpoint)
    buffer = io.BytesIO()
    torch.save(to_plain(checkpoint), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)

    resumed = Runner()  # a fresh process: epoch schedule, slower steps this time
    resumed.optimizer.param_groups[0]['lr'] = runner.lr
    new_hook = BudgetScheduleHook(minutes=2)
    new_hook.after_load_checkpoint(resumed, loaded)
    for scheduler, state in zip(resumed.param_schedulers, loaded['param_schedulers']):
        scheduler.load_state_dict(state)
    resumed.iter, resumed.epoch = 40, 8
    new_hook.before_train(resumed)
    assert new_hook.plan == hook.plan and resumed.train_loop._max_epochs == 14
    assert resumed.train_loop.val_interval == 2
    lrs = train(resumed, new_hook, 30, clock, seconds_per_step=9.)  # steps 40..69
    assert new_hook.plan == hook.plan  # no second measurement
    assert lrs[0] == 5e-4 and lrs[7] == 2.5e-4 and lrs[18] == 1.25e-4 == lrs[29]
    assert resumed.messages == [
        'BudgetScheduleHook: resumed the plan 70 steps = 14 epochs x 5 (measured 1.500 '
        's/step), schedule of 300 epochs rescaled; LR milestones (steps): [[35, 47, 58]]; '
        'validation and checkpoint every 2 epochs and at the end']


def test_plan_helpers():
    assert plan_epochs(72, 5, 1, round_up=False) == 14
    assert plan_epochs(72, 5, 1, round_up=True) == 15
    assert plan_epochs(3, 5, 2, round_up=False) == 2  # never before the epoch in progress
    assert validation_interval(300, 10, 5) == 10 and validation_interval(14, 10, 5) == 2
    assert validation_interval(3, 10, 5) == 1
    plan = SchedulePlan(epochs=14, steps_per_epoch=5, reference_epochs=300, val_interval=2)
    assert (plan.to_step(150), plan.to_epochs(35)) == (35, 150.)


def test_budget_hooks_from_options_and_max_steps():
    cfg = load_config('configs/heatmap.py')
    assert budget_hooks(cfg, None) == []  # no budget: the schedule as written
    cfg.train_cfg.max_steps = 500
    assert budget_hooks(cfg, None) == [dict(type='BudgetScheduleHook', minutes=None,
                                            max_steps=500)]
    assert 'max_steps' not in cfg.train_cfg
    assert budget_hooks(cfg, 10.) == [
        dict(type='TimeBudgetHook', minutes=10.),
        dict(type='BudgetScheduleHook', minutes=10., max_steps=None)]


def test_max_steps_is_a_valid_option_and_an_iteration_loop_is_refused():
    cfg = load_config('configs/heatmap.py')
    check_cfg_options(cfg, {'train_cfg.max_steps': 500})  # no error
    runner = Runner()
    runner.train_loop = SimpleNamespace(max_iters=100)
    with pytest.raises(TypeError, match='needs an epoch-based train loop, got SimpleNamespace'):
        BudgetScheduleHook(max_steps=50).before_train(runner)


def test_bad_budget_arguments_are_refused():
    with pytest.raises(ValueError, match='needs minutes or max_steps'):
        BudgetScheduleHook()
    with pytest.raises(ValueError, match='max_steps must be >= 1, got 0'):
        BudgetScheduleHook(max_steps=0)
