"""Config checks before a Runner is built: --cfg-options keys, model parts, training loop."""
from pathlib import Path

import pytest
from mmengine.config import Config

from posekit.apis import prepare_test_config, prepare_train_config
from posekit.apis.config import load_config
from posekit.apis.config_checks import (ConfigError, check_cfg_options, check_train_loop,
                                        constructor_arguments, merge_cfg_options,
                                        option_problem)

ROOT = Path(__file__).resolve().parents[2]
HEATMAP = str(ROOT / 'configs/heatmap.py')
SEMI = str(ROOT / 'configs/heatmap_semi.py')


@pytest.fixture(scope='module')
def heatmap():
    return load_config(HEATMAP)


@pytest.fixture(scope='module')
def semi():
    return load_config(SEMI)


def test_misspelt_loop_argument_names_the_key_and_the_closest_valid_one(heatmap):
    with pytest.raises(ConfigError) as error:
        check_cfg_options(heatmap, {'train_cfg.max_epoch': 1})
    assert str(error.value) == (
        "invalid --cfg-options key train_cfg.max_epoch: EpochBasedTrainLoop (train_cfg) takes "
        "no argument 'max_epoch'; did you mean train_cfg.max_epochs?")


def test_unknown_top_level_key_is_an_error_suggesting_a_nested_one(heatmap):
    assert option_problem(heatmap, 'max_epochs', {}) == (
        "max_epochs: the config has no key 'max_epochs' and neither mmengine's Runner nor "
        "posekit reads one; did you mean train_cfg.max_epochs?")


@pytest.mark.parametrize('key', [
    'model.head.deconv_channels',  # new argument of HeatmapHead
    'train_cfg.max_epochs',  # existing
    'model.losses.0.loss_weight',  # list index; HeatmapMSELoss inherits Loss's argument
    'train_dataloader.dataset.train_frames',  # new argument of LabeledFramesDataset
    'train_dataloader.num_batch_per_epoch',  # read by Runner.build_dataloader
    'input_size',  # a variable the config defines
    'compile', 'auto_scale_lr',  # read by the Runner
    'test_videos',  # read by posekit
    'val_cfg.fp16',  # ValLoop's argument
    'default_hooks.checkpoint.out_dir',
    'default_hooks.checkpoint.anything',  # CheckpointHook(**kwargs) -> Hook: not inspectable
    'env_cfg.anything', 'default_hooks.my_hook.type',  # dicts without type take any key
    'model.head._delete_', 'model.backbone._scope_',
])
def test_valid_keys(heatmap, key):
    assert option_problem(heatmap, key, {}) is None


def test_kwargs_are_checked_against_the_parent_they_are_passed_to(semi):
    # PCASingleViewLoss(**kwargs) -> PCALoss(epsilon_percentile, **kwargs) -> Loss(loss_weight)
    assert semi.model.unsupervised_losses[1].type == 'PCASingleViewLoss'
    assert option_problem(semi, 'model.unsupervised_losses.1.epsilon_percentile', {}) is None
    assert option_problem(semi, 'model.unsupervised_losses.1.reduction', {}) is None
    assert option_problem(semi, 'model.unsupervised_losses.1.los_weight', {}) == (
        "model.unsupervised_losses.1.los_weight: PCASingleViewLoss "
        "(model.unsupervised_losses.1.type) takes no argument 'los_weight'; did you mean "
        "model.unsupervised_losses.1.loss_weight, model.unsupervised_losses.1.log_weight?")


def test_constructor_arguments_follow_kwargs_up_the_class_hierarchy():
    class Base:
        def __init__(self, a, b=1):
            pass

    class Child(Base):
        def __init__(self, c, *args, d=2, **kwargs):
            super().__init__(*args, **kwargs)

    class Open:
        def __init__(self, e, **kwargs):
            pass

    assert constructor_arguments(Child) == ({'a', 'b', 'c', 'd'}, False)
    assert constructor_arguments(Open) == ({'e'}, True)  # kwargs reach object: accepted
    assert constructor_arguments(lambda x, *, y=0: x) == ({'x', 'y'}, False)


def test_list_indices_and_plain_values(heatmap):
    assert option_problem(heatmap, 'model.losses.1.loss_weight', {}) == (
        'model.losses.1.loss_weight: model.losses has 1 entries (indices 0..0)')
    assert option_problem(heatmap, 'model.losses.weight', {}) == (
        'model.losses.weight: model.losses is a list; address its entries by index (0..0)')
    assert option_problem(heatmap, 'codec.sigma.x', {}) == (
        'codec.sigma.x: codec.sigma is a float, not a dict')
    assert option_problem(heatmap, 'model.head.sigma', {}) == (
        "model.head.sigma: HeatmapHead (model.head.type) takes no argument 'sigma'; did you "
        "mean codec.sigma?")
    assert option_problem(heatmap, 'param_scheduler.0.gama', {}) == (
        "param_scheduler.0.gama: MultiStepLR (param_scheduler.0.type) takes no argument "
        "'gama'; did you mean param_scheduler.0.gamma?")


def test_unsuggestable_key_lists_what_the_constructor_takes(heatmap):
    assert option_problem(heatmap, 'model.backbone.frozen_stages', {}) == (
        "model.backbone.frozen_stages: EfficientNetLite0 (model.backbone.type) takes no "
        "argument 'frozen_stages' (it takes checkpoint, drop_connect_rate, init_cfg, "
        "pretrained)")


def test_a_type_set_by_the_options_decides_the_keys_beside_it(heatmap):
    assert option_problem(heatmap, 'model.head.channels_per_keypoint', {}) is not None
    options = {'model.head.type': 'ContextHeatmapHead', 'model.head.channels_per_keypoint': 8}
    assert option_problem(heatmap, 'model.head.channels_per_keypoint', options) is None


def test_loops_without_type_are_the_ones_mmengine_builds():
    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=3), val_cfg=dict(),
                      test_cfg=dict(type='TestLoop')))
    assert option_problem(cfg, 'train_cfg.val_interval', {}) is None
    assert option_problem(cfg, 'val_cfg.fp16', {}) is None
    assert option_problem(cfg, 'test_cfg.fp16', {}) is None
    # by_epoch=False: IterBasedTrainLoop
    assert option_problem(cfg, 'train_cfg.max_iters', {}) is not None
    assert option_problem(cfg, 'train_cfg.max_iters', {'train_cfg.by_epoch': False}) is None
    # the runner passes runner, dataloader and evaluator itself
    assert option_problem(cfg, 'val_cfg.dataloader', {}) == (
        "val_cfg.dataloader: ValLoop (val_cfg) takes no argument 'dataloader' (it takes "
        "fp16)")
    # by_epoch is popped only from a train_cfg without type (mmengine refuses both)
    typed = Config(dict(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=3)))
    assert option_problem(typed, 'train_cfg.by_epoch', {}).startswith(
        "train_cfg.by_epoch: EpochBasedTrainLoop (train_cfg) takes no argument 'by_epoch'")
    untyped = Config(dict(train_cfg=dict(max_epochs=3)))
    assert option_problem(untyped, 'train_cfg.by_epoch', {}) is None


def test_dataloaders_and_unregistered_types():
    cfg = Config(dict(train_dataloader=dict(batch_size=2), extra=dict(type='RegisteredNowhere')))
    assert option_problem(cfg, 'train_dataloader.batch_sze', {}) == (
        "train_dataloader.batch_sze: DataLoader (train_dataloader) takes no argument "
        "'batch_sze'; did you mean train_dataloader.batch_size, "
        "train_dataloader.batch_sampler?")
    assert option_problem(cfg, 'extra.anything', {}) is None


def test_several_bad_keys_make_one_line_and_good_keys_merge(tmp_path):
    cfg = load_config(HEATMAP)
    with pytest.raises(ConfigError) as error:
        merge_cfg_options(cfg, {'max_epochs': 3, 'codec.sigam': 2.,
                                'train_cfg.max_epochs': 2})
    message = str(error.value)
    assert '\n' not in message and message.count('did you mean') == 2
    assert "codec.sigam: HeatmapCodec (codec.type) takes no argument 'sigam'; " \
           'did you mean codec.sigma?' in message
    assert cfg.train_cfg.max_epochs == 150  # nothing merged
    merge_cfg_options(cfg, {'train_cfg.max_epochs': 2, 'model.head.deconv_channels': 32,
                            'model.losses.0.loss_weight': 2})
    assert cfg.train_cfg.max_epochs == 2 and cfg.model.head.deconv_channels == 32
    assert cfg.model.losses[0].loss_weight == 2


def test_unsupervised_losses_need_the_semi_supervised_loop(tmp_path):
    cfg = load_config(SEMI)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
    with pytest.raises(ConfigError) as error:
        prepare_train_config(cfg, work_dir=str(tmp_path / 'work'))
    assert str(error.value) == (
        'model.unsupervised_losses (TemporalLoss, PCASingleViewLoss, PCAMultiViewLoss) need '
        "unlabeled clips, which train_cfg.type='EpochBasedTrainLoop' does not load: set "
        "train_cfg.type='SemiSupervisedTrainLoop' (with an unlabeled_dataloader)")
    assert not (tmp_path / 'work').exists() and 'work_dir' not in cfg


def test_semi_supervised_loop_needs_unsupervised_losses_and_clips():
    cfg = load_config(SEMI)
    check_train_loop(cfg)
    cfg.model.unsupervised_losses = []
    clips = cfg.pop('unlabeled_dataloader')
    with pytest.raises(ConfigError) as error:
        check_train_loop(cfg)
    assert str(error.value) == (
        "train_cfg.type='SemiSupervisedTrainLoop' needs model.unsupervised_losses (without "
        "them the clips go unused; set train_cfg.type='EpochBasedTrainLoop' for supervised "
        "training) and an unlabeled_dataloader (in train_cfg or at the top level)")
    cfg.model.unsupervised_losses = [dict(type='TemporalLoss')]
    with pytest.raises(ConfigError, match=r"needs an unlabeled_dataloader \(in train_cfg"):
        check_train_loop(cfg)
    cfg.train_cfg.unlabeled_dataloader = clips
    check_train_loop(cfg)


@pytest.mark.parametrize('missing', ['head', 'backbone'])
def test_missing_model_part_is_named_for_training_and_testing(tmp_path, missing):
    for prepare in (lambda c: prepare_train_config(c, work_dir=str(tmp_path / 'work')),
                    lambda c: prepare_test_config(c, str(tmp_path / 'none.pth'))):
        cfg = load_config(HEATMAP)
        cfg.model.pop(missing)
        with pytest.raises(ConfigError) as error:
            prepare(cfg)
        assert str(error.value) == (f'model.{missing} is missing: PoseTracker needs it (a dict '
                                    'with type=...)')
    cfg = load_config(HEATMAP)
    cfg.model.head = None
    with pytest.raises(ConfigError, match='^model.head is missing'):
        prepare_test_config(cfg, str(tmp_path / 'none.pth'))
    cfg.model.pop('backbone')
    with pytest.raises(ConfigError, match='^model.backbone and model.head are missing: '
                                          'PoseTracker needs them'):
        prepare_test_config(cfg, str(tmp_path / 'none.pth'))


def test_a_model_type_registered_nowhere_names_the_closest(tmp_path):
    cfg = load_config(HEATMAP)
    cfg.model.type = 'PoseTrackr'
    with pytest.raises(KeyError, match="did you mean 'PoseTracker'"):
        prepare_test_config(cfg, str(tmp_path / 'none.pth'))
