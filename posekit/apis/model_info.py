"""Hand the config's codec and the dataset metainfo to every part that needs them.

A config says each of these once (docs/contracts.md, "Configs"):

- ``input_size``: the model input ``(W, H)``; the dataset pipelines resize to it;
- ``codec``: how keypoints become targets and outputs become keypoints; its ``input_size``
  defaults to the top-level one;
- ``metainfo``: named views, skeleton and flip pairs; keypoint names come from the label
  file's header.

:func:`fill_model_info` copies them into ``model.codec``, ``model.metainfo``, every
``GenerateTarget`` step of a dataloader pipeline and every ``LabeledFramesDataset``'s (and
``MultiviewLabeledFramesDataset``'s) ``metainfo`` (which mmengine saves in checkpoints as
``dataset_meta``); a labeled dataset without ``context`` gets the head's (``num_context``:
frame stacks for context heads). First,
dataset and pipeline entries a project config leaves None take its top-level variables
(:func:`posekit.apis.project_vars.fill_project_vars`).
"""
from collections.abc import Iterator, Sequence
from typing import Optional

from mmengine.config import Config, ConfigDict

from posekit.datasets.io import find_label_files, read_keypoint_names
from posekit.datasets.metainfo import build_metainfo
from posekit.registry import MODELS
from .project_vars import fill_project_vars

#: Dataloaders whose datasets and pipelines receive the codec and metainfo.
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'unlabeled_dataloader')


def label_keypoint_names(cfg: Config, loader: str = 'train_dataloader') -> list[str]:
    """Body part names from the header of the first label file of a dataloader's dataset.

    Raises:
        ValueError: The dataloader has no dataset with an ``ann_file``.
    """
    fill_project_vars(cfg)
    dataset = (cfg.get(loader) or {}).get('dataset', {})
    if not dataset.get('ann_file'):
        raise ValueError(f'the config has no {loader} with a dataset ann_file')
    ann_file = dataset['ann_file']
    if dataset.get('view_names'):  # a multiview dataset: one label file per view
        ann_file = ann_file.format(view=dataset['view_names'][0])
    path = find_label_files(ann_file, dataset.get('data_root', ''))[0]
    return read_keypoint_names(path)


def config_codec(cfg: Config) -> dict:
    """The top-level codec with its ``input_size`` (default: the top-level ``input_size``).

    Raises:
        ValueError: No codec, no input size, or two different input sizes.
    """
    if cfg.get('codec') is None:
        raise ValueError("the config declares no codec; add e.g. codec = dict(type="
                         "'HeatmapCodec', stride=4, sigma=1.25) (configs/_base_/models/)")
    codec = dict(cfg.codec)
    size = cfg.get('input_size')
    if codec.get('input_size') is None:
        if size is None:
            raise ValueError('the config sets neither input_size nor codec.input_size')
        codec['input_size'] = size
    elif size is not None and tuple(codec['input_size']) != tuple(size):
        raise ValueError(f'codec.input_size={tuple(codec["input_size"])} differs from '
                         f'input_size={tuple(size)}: give the input size once')
    codec['input_size'] = tuple(codec['input_size'])
    return codec


def _datasets(cfg: Config) -> Iterator[ConfigDict]:
    """The dataset dicts of the config's dataloaders (wrapped datasets included)."""
    for loader in LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset')
        while dataset is not None:
            yield dataset
            dataset = dataset.get('dataset')


def fill_model_info(cfg: Config, loader: str = 'train_dataloader',
                    keypoint_names: Optional[Sequence[str]] = None) -> dict:
    """Put the codec and the metainfo where the model and the datasets read them.

    Args:
        cfg: The config; modified in place.
        loader: The dataloader whose label file names the keypoints (``test_dataloader``
            when testing).
        keypoint_names: The keypoint names when already known (a checkpoint's
            ``dataset_meta``); then no label file is read.

    Returns:
        The metainfo (``posekit.datasets.metainfo.build_metainfo``).

    Raises:
        ValueError: ``model.head.num_keypoints`` disagrees with the labels, the codec or
            the metainfo is inconsistent, or a multiview dataset's ``view_names`` differ from
            the metainfo's.
        KeyError: The metainfo names a keypoint the labels do not have.
    """
    fill_project_vars(cfg)
    names = list(keypoint_names) if keypoint_names is not None \
        else label_keypoint_names(cfg, loader)
    metainfo = build_metainfo(names, **dict(cfg.get('metainfo') or {}))
    head = cfg.model.head
    if head.get('num_keypoints') not in (None, len(names)):
        source = 'checkpoint was trained for' if keypoint_names is not None \
            else f'{loader} labels have'
        raise ValueError(f'model.head.num_keypoints={head.num_keypoints} but the {source} '
                         f'{len(names)} keypoints ({names})')
    codec = config_codec(cfg)
    cfg.model.codec = codec
    cfg.model.metainfo = metainfo
    num_context = MODELS.get(head.type).num_context
    for dataset in _datasets(cfg):
        views = dataset.get('view_names')
        if views is not None and list(views) != metainfo.get('view_names'):
            raise ValueError(f'{dataset.type}: view_names={list(views)} but the config\'s '
                             f'metainfo.view_names={metainfo.get("view_names")}; the model\'s '
                             'view axis follows the metainfo: give the same views in order')
        if dataset.get('type') == 'LabeledFramesDataset':
            dataset.metainfo = dict(metainfo)
            dataset.setdefault('context', num_context)
        elif dataset.get('type') == 'MultiviewLabeledFramesDataset':
            dataset.metainfo = dict(metainfo)
        for step in dataset.get('pipeline') or []:
            if step.get('type') == 'GenerateTarget' and step.get('codec') is None:
                step.codec = codec
    return metainfo
