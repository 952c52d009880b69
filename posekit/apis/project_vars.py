"""Fill a project config's dataset entries from its top-level variables.

mmengine evaluates a ``_base_`` file on its own, so a child config that sets
``data_root = '...'`` changes the top-level variable but not the dataloaders the base built
from it. ``configs/_base_/datasets/project.py`` therefore leaves its dataset and pipeline
entries as None, and :func:`fill_project_vars` copies the top-level variables into them
(docs/contracts.md, "Configs"):

- a dataset's ``data_root``, ``ann_file``, ``test_ann_file`` and ``videos`` left None take
  the top-level variable of the same name;
- a pipeline step's ``input_size`` left None takes the top-level ``input_size``.

Only entries present and None are filled, so configs that spell their datasets out (the toy
and mirror-mouse bases) are unchanged. ``test_ann_file`` is optional; ``videos`` is needed
only when the training loop is ``SemiSupervisedTrainLoop`` (else the unlabeled dataloader is
left unfilled and unused); every other unset variable is an error naming it.
"""
from collections.abc import Iterator

from mmengine.config import Config, ConfigDict

#: Dataset arguments filled from the top-level variable of the same name.
DATASET_VARS = ('data_root', 'ann_file', 'test_ann_file', 'videos')
#: Pipeline step arguments filled from the top-level variable of the same name.
STEP_VARS = ('input_size',)
#: Variables that may stay unset.
OPTIONAL_VARS = ('test_ann_file',)
#: What each variable is, for the error message.
MEANINGS = dict(
    data_root="the project folder (image paths in the label files are relative to it)",
    ann_file="the label file(s): a CSV path, a glob, a list, or the 'labeled-data' folder",
    videos="the unlabeled videos of the semi-supervised loop (a folder, a path or a list)",
    input_size="the model input (W, H), e.g. (256, 256)")
LABELED_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class ProjectVariableError(ValueError):
    """A config leaves a dataset entry to a top-level variable that it does not set."""


def _datasets(loader: dict) -> Iterator[ConfigDict]:
    dataset = (loader or {}).get('dataset')
    while dataset is not None:
        yield dataset
        dataset = dataset.get('dataset')


def _pipelines(cfg: Config, loaders: tuple[str, ...]) -> Iterator[list]:
    for name in ('train_pipeline', 'test_pipeline'):
        if isinstance(cfg.get(name), list):
            yield cfg[name]
    for loader in loaders:
        for dataset in _datasets(cfg.get(loader)):
            yield dataset.get('pipeline') or []


def _value(cfg: Config, key: str, where: str):
    value = cfg.get(key)
    if value is None and key not in OPTIONAL_VARS:
        raise ProjectVariableError(
            f'{where}.{key} is taken from the top-level variable {key!r}, which the config '
            f"does not set: add e.g. {key} = ... ({MEANINGS[key]})")
    return tuple(value) if key == 'input_size' else value


def _fill(cfg: Config, entry: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key in entry and entry[key] is None:
            entry[key] = _value(cfg, key, where)


def fill_project_vars(cfg: Config) -> Config:
    """Fill None dataset and pipeline entries from the top-level variables (module doc).

    Args:
        cfg: The config; modified in place. Calling it again changes nothing.

    Returns:
        The same config.

    Raises:
        ProjectVariableError: A needed variable is unset; the message names it and the
            entry that takes it.
    """
    loaders = LABELED_LOADERS
    if (cfg.get('train_cfg') or {}).get('type') == 'SemiSupervisedTrainLoop':
        loaders = loaders + ('unlabeled_dataloader',)
    for loader in loaders:
        for dataset in _datasets(cfg.get(loader)):
            _fill(cfg, dataset, DATASET_VARS, f'{loader}.dataset')
    for pipeline in _pipelines(cfg, loaders):
        for step in pipeline:
            _fill(cfg, step, STEP_VARS, f"pipeline step {step.get('type')}")
    return cfg
