"""Load a config (custom imports) and prepare it before building a Runner: toy data,
codec and metainfo, work dir, AMP."""
import glob
import importlib.util
import os.path as osp
import sys
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import import_modules_from_strings

from posekit.datasets.toy import ensure_toy_data
from posekit.engine.amp import amp_optim_wrapper
from posekit.models.trackers import CheckpointMismatchError
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


def prepare_train_config(cfg: Config, work_dir: Optional[str] = None, resume=None,
                         amp: bool = False, time_budget: Optional[float] = None) -> Config:
    """Apply the training CLI's options and fill what the config leaves open.

    Args:
        cfg: The loaded config (``cfg.filename`` set).
        work_dir: Output folder; default ``cfg.work_dir`` or ``work_dirs/<stem>``.
        resume: None, ``'auto'`` (latest checkpoint of the work dir) or a checkpoint path.
        amp: Mixed precision on the current device (see :func:`amp_optim_wrapper`).
        time_budget: Minutes of training after which the current epoch is the last
            (adds a ``TimeBudgetHook``); None trains for ``train_cfg.max_epochs``.

    Returns:
        The same config, modified.

    Raises:
        LabelFileError: A label file or an image fails a check
            (:func:`posekit.apis.data_checks.check_labeled_data`); nothing is written yet.
    """
    check_train_config(cfg)
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(cfg.filename)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume:
        cfg.resume, cfg.load_from = True, resume
    if amp:
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper)
        cfg.model.channels_last = True
        for key in ('val_cfg', 'test_cfg'):
            if cfg.get(key) is not None and cfg[key].get('type', 'ValLoop') in (
                    'ValLoop', 'TestLoop'):
                cfg[key]['fp16'] = cfg.optim_wrapper['type'] != 'OptimWrapper'
    if time_budget is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='TimeBudgetHook', minutes=time_budget)]
    prepare_data(cfg)
    fill_model_info(cfg)
    check_labeled_data(cfg)
    print_log(f'work dir: {cfg.work_dir}', logger='current')
    return cfg


def resolve_checkpoint(path: str) -> str:
    """A checkpoint file, or the best (else the last) checkpoint of a work dir.

    Raises:
        FileNotFoundError: Nothing to load at ``path``.
    """
    if osp.isdir(path):
        best = sorted(glob.glob(osp.join(path, 'best_*.pth')), key=osp.getmtime)
        last = osp.join(path, 'last_checkpoint')
        if best:
            return best[-1]
        if osp.isfile(last):
            with open(last) as f:
                return f.read().strip()
        raise FileNotFoundError(f'no best_*.pth or last_checkpoint in {path}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    return path


def check_checkpoint_keypoints(checkpoint: str, num_keypoints: int) -> None:
    """Fail early, naming the file, when a checkpoint was trained for another keypoint count.

    Raises:
        CheckpointMismatchError: The checkpoint's dataset had another number of keypoints.
    """
    meta = torch.load(checkpoint, map_location='cpu', weights_only=True, mmap=True).get(
        'meta', {})
    names = meta.get('dataset_meta', {}).get('keypoint_names')
    if names is not None and len(names) != num_keypoints:
        raise CheckpointMismatchError(
            f'{checkpoint} was trained for {len(names)} keypoints ({names}); the config\'s '
            f'labels have {num_keypoints}')


def prepare_test_config(cfg: Config, checkpoint: str, work_dir: Optional[str] = None
                        ) -> Config:
    """Point a config at a checkpoint (file or work dir) and write test outputs next to it."""
    check_model_parts(cfg)
    checkpoint = resolve_checkpoint(checkpoint)
    prepare_data(cfg)
    check_checkpoint_keypoints(checkpoint, len(label_keypoint_names(cfg, 'test_dataloader')))
    fill_model_info(cfg, 'test_dataloader')
    check_labeled_data(cfg, ['test_dataloader'])
    cfg.work_dir = work_dir or osp.dirname(osp.abspath(checkpoint))
    cfg.load_from, cfg.resume = checkpoint, False
    for metric in cfg.get('test_evaluator', []):
        if metric.get('type') == 'PredictionsWriter' and metric.get('out_dir') is None:
            metric['out_dir'] = cfg.work_dir
    return cfg
