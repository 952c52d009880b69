"""Load a config (custom imports) and prepare it before building a Runner: toy data,
codec and metainfo, work dir, AMP."""
import importlib.util
import os.path as osp
import sys
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

from posekit.datasets.toy import ensure_toy_data
from posekit.engine.amp import amp_optim_wrapper
from posekit.engine.distributed import on_main_process_first, setup_distributed
from posekit.registry import MODELS
from .checkpoints import (CheckpointFileError, check_checkpoint_keypoints, check_resumable,
                          latest_checkpoint, load_state_dict_strictly, read_checkpoint,
                          resolve_checkpoint)
from .config_checks import check_model_parts, check_train_config
from .data_checks import check_labeled_data
from .model_info import fill_model_info, label_keypoint_names


def package_root(package: str, start: str) -> Optional[str]:
    """The nearest folder at or above ``start`` that contains the top-level ``package``.

    Args:
        package: A top-level module name, e.g. ``'projects'``.
        start: The folder to search from.

    Returns:
        The folder holding ``package/__init__.py`` or ``package.py``, or None.
    """
    folder = osp.abspath(start)
    while True:
        if osp.isfile(osp.join(folder, package, '__init__.py')) or \
                osp.isfile(osp.join(folder, f'{package}.py')):
            return folder
        parent = osp.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(path: str) -> Config:
    """Read a config file and import its ``custom_imports``, finding them beside the config.

    ``python tools/train.py`` puts ``tools/`` (not the repository root) first on
    ``sys.path``, so a plug-in package such as ``projects.bone_length`` would not import.
    For each top-level package named in ``custom_imports`` that is not importable, the
    nearest folder at or above the config file's folder that contains it is put first on
    ``sys.path``; then the modules are imported as mmengine would.

    Args:
        path: The config file.

    Returns:
        The config, its custom modules imported (and so registered).

    Raises:
        ImportError: A custom import fails and ``allow_failed_imports`` is not set.
    """
    cfg = Config.fromfile(path, import_custom_modules=False)
    custom = cfg.get('custom_imports')
    if custom:
        imports = custom['imports']
        for module in [imports] if isinstance(imports, str) else imports:
            package = module.split('.')[0]
            if importlib.util.find_spec(package) is None:
                root = package_root(package, osp.dirname(osp.abspath(path)))
                if root is not None and root not in sys.path:
                    sys.path.insert(0, root)
        import_modules_from_strings(**custom)
    return cfg


def prepare_data(cfg: Config) -> None:
    """Generate the built-in toy data when the config asks for it (``toy_data``)."""
    if cfg.get('toy_data'):
        ensure_toy_data(**cfg.toy_data)


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config file stem>``."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def choose_start(cfg: Config, resume: Optional[str], load_from: Optional[str],
                 resume_if_possible: bool) -> None:
    """Set ``cfg.resume`` / ``cfg.load_from`` after checking the checkpoint they name.

    Args:
        cfg: The config, ``cfg.work_dir`` set.
        resume: None, ``'auto'`` (the work dir's ``last_checkpoint``) or a checkpoint path.
        load_from: A checkpoint whose weights start a new training (no optimizer state).
        resume_if_possible: Resume from the work dir's ``last_checkpoint`` when there is
            one, else start a new training.

    Raises:
        CheckpointFileError: No checkpoint to resume from, an unreadable one, or one
            without optimizer / scheduler state.
    """
    if resume == 'auto' or (resume_if_possible and resume is None):
        resume = latest_checkpoint(cfg.work_dir)
        if resume is None and not resume_if_possible:
            raise CheckpointFileError(
                f'--resume: no checkpoint in {cfg.work_dir} (no last_checkpoint file); '
                'train without --resume, or use --resume-if-possible')
        if resume is None:
            print_log(f'no checkpoint in {cfg.work_dir}: starting a new training',
                      logger='current')
    if resume is not None:
        check_resumable(resume, cfg)
        cfg.resume, cfg.load_from = True, resume
    elif load_from is not None:
        read_checkpoint(load_from)
        cfg.resume, cfg.load_from = False, load_from


def budget_hooks(cfg: Config, time_budget: Optional[float]) -> list[dict]:
    """The hooks of a budget: ``--time-budget`` minutes and/or ``train_cfg.max_steps``.

    A time budget stops training at the first epoch end after it (``TimeBudgetHook``); both
    fit the epoch schedule to the run (``BudgetScheduleHook``: LR milestones, unsupervised
    warm-up, validation interval). ``max_steps`` is taken out of ``train_cfg`` (the epoch
    loop does not know it). No budget: no hooks, the config's schedule as written.

    Args:
        cfg: The config (``train_cfg.max_steps`` is removed from it).
        time_budget: Minutes, or None.

    Returns:
        The hook configs to append to ``custom_hooks``.
    """
    loop = cfg.get('train_cfg') or {}
    max_steps = loop.pop('max_steps', None)
    hooks = []
    if time_budget is not None:
        hooks.append(dict(type='TimeBudgetHook', minutes=time_budget))
    if time_budget is not None or max_steps is not None:
        hooks.append(dict(type='BudgetScheduleHook', minutes=time_budget,
                          max_steps=max_steps))
    return hooks


def prepare_train_config(cfg: Config, work_dir: Optional[str] = None,
                         resume: Optional[str] = None, amp: bool = False,
                         time_budget: Optional[float] = None, load_from: Optional[str] = None,
                         resume_if_possible: bool = False) -> Config:
    """Apply the training CLI's options and fill what the config leaves open.

    Args:
        cfg: The loaded config (``cfg.filename`` set).
        work_dir: Output folder; default ``cfg.work_dir`` or ``work_dirs/<stem>``.
        resume: None, ``'auto'`` (latest checkpoint of the work dir) or a checkpoint path
            (see :func:`choose_start`).
        amp: Mixed precision on the current device (see :func:`amp_optim_wrapper`).
        time_budget: Minutes of training after which the current epoch is the last
            (adds a ``TimeBudgetHook``) and to which the schedule is fitted (see
            :func:`budget_hooks`); None trains for ``train_cfg.max_epochs``.
        load_from: A checkpoint whose weights (only) start the training.
        resume_if_possible: Resume when the work dir has a checkpoint, else start fresh.

    Returns:
        The same config, modified.

    Raises:
        LabelFileError: A label file or an image fails a check
            (:func:`posekit.apis.data_checks.check_labeled_data`); nothing is written yet.
    """
    check_train_config(cfg)
    setup_distributed(cfg)
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(cfg.filename)
    choose_start(cfg, resume, load_from, resume_if_possible)
    if amp:
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper)
        cfg.model.channels_last = True
        for key in ('val_cfg', 'test_cfg'):
            if cfg.get(key) is not None and cfg[key].get('type', 'ValLoop') in (
                    'ValLoop', 'TestLoop'):
                cfg[key]['fp16'] = cfg.optim_wrapper['type'] != 'OptimWrapper'
    hooks = budget_hooks(cfg, time_budget)
    if hooks:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + hooks
    on_main_process_first(cfg, prepare_data)
    fill_model_info(cfg)
    check_labeled_data(cfg)
    print_log(f'work dir: {cfg.work_dir}', logger='current')
    return cfg


def check_checkpoint_fits(cfg: Config, checkpoint: str) -> None:
    """Build the config's model and load the checkpoint strictly, before any output exists.

    mmengine's ``load_from`` loads non-strictly (a log warning for a checkpoint of another
    model); this check makes such a checkpoint an error.

    Raises:
        CheckpointMismatchError: Missing or unexpected tensors (names both heads).
    """
    init_default_scope(cfg.get('default_scope', 'posekit'))
    load_state_dict_strictly(MODELS.build(cfg.model), read_checkpoint(checkpoint), checkpoint,
                             cfg)


def prepare_test_config(cfg: Config, checkpoint: str, work_dir: Optional[str] = None
                        ) -> Config:
    """Point a config at a checkpoint (file or work dir) and write test outputs next to it.

    Raises:
        FileNotFoundError: No checkpoint at ``checkpoint``.
        CheckpointFileError: The file is not a readable checkpoint.
        CheckpointMismatchError: The checkpoint is of another model or keypoint count.
    """
    check_model_parts(cfg)
    setup_distributed(cfg)
    checkpoint = resolve_checkpoint(checkpoint)
    on_main_process_first(cfg, prepare_data)
    check_checkpoint_keypoints(checkpoint, len(label_keypoint_names(cfg, 'test_dataloader')))
    fill_model_info(cfg, 'test_dataloader')
    check_checkpoint_fits(cfg, checkpoint)
    check_labeled_data(cfg, ['test_dataloader'])
    cfg.work_dir = work_dir or osp.dirname(osp.abspath(checkpoint))
    cfg.load_from, cfg.resume = checkpoint, False
    for metric in cfg.get('test_evaluator', []):
        if metric.get('type') == 'PredictionsWriter' and metric.get('out_dir') is None:
            metric['out_dir'] = cfg.work_dir
    return cfg
