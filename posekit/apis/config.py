"""Prepare a config before building a Runner: toy data, keypoint count, work dir, AMP."""
import glob
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

from posekit.datasets.io import find_label_files, read_keypoint_names
from posekit.datasets.toy import ensure_toy_data
from posekit.engine.amp import amp_optim_wrapper


def prepare_data(cfg: Config) -> None:
    """Generate the built-in toy data when the config asks for it (``toy_data``)."""
    if cfg.get('toy_data'):
        ensure_toy_data(**cfg.toy_data)


def label_keypoint_names(cfg: Config) -> list[str]:
    """Body part names from the header of the first label file of any dataloader."""
    for key in ('train_dataloader', 'test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        if loader and loader.get('dataset', {}).get('ann_file'):
            dataset = loader['dataset']
            path = find_label_files(dataset['ann_file'], dataset.get('data_root', ''))[0]
            return read_keypoint_names(path)
    raise ValueError('the config has no dataloader with a dataset ann_file')


def fill_num_keypoints(cfg: Config) -> None:
    """Set ``model.head.num_keypoints`` from the label file header when it is None.

    Raises:
        ValueError: The config gives another count than the labels have.
    """
    names = label_keypoint_names(cfg)
    head = cfg.model.head
    if head.get('num_keypoints') is None:
        head.num_keypoints = len(names)
    elif head.num_keypoints != len(names):
        raise ValueError(f'model.head.num_keypoints={head.num_keypoints} but the label files '
                         f'have {len(names)} keypoints ({names})')


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config file stem>``."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def prepare_train_config(cfg: Config, work_dir: Optional[str] = None, resume=None,
                         amp: bool = False) -> Config:
    """Apply the training CLI's options and fill what the config leaves open.

    Args:
        cfg: The loaded config (``cfg.filename`` set).
        work_dir: Output folder; default ``cfg.work_dir`` or ``work_dirs/<stem>``.
        resume: None, ``'auto'`` (latest checkpoint of the work dir) or a checkpoint path.
        amp: Mixed precision on the current device (see :func:`amp_optim_wrapper`).

    Returns:
        The same config, modified.
    """
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
    prepare_data(cfg)
    fill_num_keypoints(cfg)
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


def prepare_test_config(cfg: Config, checkpoint: str, work_dir: Optional[str] = None
                        ) -> Config:
    """Point a config at a checkpoint (file or work dir) and write test outputs next to it."""
    checkpoint = resolve_checkpoint(checkpoint)
    cfg.work_dir = work_dir or osp.dirname(osp.abspath(checkpoint))
    cfg.load_from, cfg.resume = checkpoint, False
    for metric in cfg.get('test_evaluator', []):
        if metric.get('type') == 'PredictionsWriter' and metric.get('out_dir') is None:
            metric['out_dir'] = cfg.work_dir
    prepare_data(cfg)
    fill_num_keypoints(cfg)
    return cfg
