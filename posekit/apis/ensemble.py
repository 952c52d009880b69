"""An ensemble directory: its members' work dirs and configs, and loading them for inference.

``tools/ensemble.py`` writes ``<ensemble dir>/ensemble.json``::

    {"members": [{"work_dir": "member0_seed0", "config": "member0_seed0/heatmap.py",
                  "seed": 0}, ...]}

Paths are relative to the ensemble dir (absolute when a member lies elsewhere); ``seed`` is
null for members that were given rather than trained.
"""
import json
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

from torch import nn

from posekit.atomic_io import write_text_atomic
from .config import resolve_checkpoint
from .two_stage import init_predictor

MANIFEST = 'ensemble.json'


def is_ensemble_dir(path: str) -> bool:
    """Whether ``path`` is a folder holding an ``ensemble.json``."""
    return osp.isfile(osp.join(path, MANIFEST))


def member_config(work_dir: str, default: Optional[str] = None) -> str:
    """The config a work dir was trained with: its dump ``<stem>.py`` (one ``.py`` file).

    Raises:
        FileNotFoundError: No single ``.py`` file in the folder and no ``default``.
    """
    dumps = sorted(f for f in os.listdir(work_dir) if f.endswith('.py'))
    if len(dumps) == 1:
        return osp.join(work_dir, dumps[0])
    if default is not None:
        return default
    raise FileNotFoundError(f'{work_dir}: expected one config dump (<config stem>.py), '
                            f'found {dumps or "none"}')


def write_manifest(ensemble_dir: str, members: Sequence[dict]) -> str:
    """Write ``ensemble.json`` atomically.

    Args:
        ensemble_dir: The ensemble folder (created if needed).
        members: Dicts with ``work_dir``, ``config`` and ``seed`` (None when not trained).

    Returns:
        The manifest path.
    """
    os.makedirs(ensemble_dir, exist_ok=True)
    root = osp.abspath(ensemble_dir)

    def rel(path: str) -> str:
        path = osp.abspath(path)
        return osp.relpath(path, root) if path.startswith(root + os.sep) else path

    entries = [dict(work_dir=rel(m['work_dir']), config=rel(m['config']), seed=m['seed'])
               for m in members]
    path = osp.join(ensemble_dir, MANIFEST)
    write_text_atomic(path, json.dumps(dict(members=entries), indent=2))
    return path


def read_manifest(ensemble_dir: str) -> list[dict]:
    """The members of an ensemble dir, with absolute ``work_dir`` and ``config``.

    Raises:
        FileNotFoundError: No ``ensemble.json``.
        ValueError: A malformed manifest (naming the file and entry).
    """
    path = osp.join(ensemble_dir, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{ensemble_dir}: no {MANIFEST}; create the ensemble with '
                                f'tools/ensemble.py')
    with open(path) as f:
        try:
            members = json.load(f)['members']
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f'{path}: expected {{"members": [...]}}: {error}') from None
    out = []
    for i, member in enumerate(members):
        if not isinstance(member, dict) or not {'work_dir', 'config'} <= set(member):
            raise ValueError(f'{path}: member {i} needs "work_dir" and "config", got {member!r}')
        out.append(dict(member, work_dir=osp.join(ensemble_dir, member['work_dir']),
                        config=osp.join(ensemble_dir, member['config'])))
    return out


def init_members(checkpoints: Sequence[str], config: str, device: str = 'cpu'
                 ) -> list[nn.Module]:
    """Load an ensemble's models: an ensemble dir, or several checkpoints / work dirs.

    Args:
        checkpoints: One ensemble dir, or checkpoint files / work dirs (each work dir's own
            config dump is used when it has one, else ``config``).
        config: The config of members without their own.
        device: Where to put the models.

    Returns:
        The models, prepared for inference, in member order: crop-zoom pairs for members
        whose config names a ``stage1`` (``posekit.apis.two_stage.init_predictor``).

    Raises:
        FileNotFoundError: A member without a checkpoint.
        ValueError: Members predicting different keypoints.
    """
    if len(checkpoints) == 1 and is_ensemble_dir(checkpoints[0]):
        pairs = [(m['work_dir'], m['config']) for m in read_manifest(checkpoints[0])]
    else:
        pairs = [(c, member_config(c, config) if osp.isdir(c) else config)
                 for c in checkpoints]
    models = []
    for checkpoint, member_cfg in pairs:
        models.append(init_predictor(member_cfg, resolve_checkpoint(checkpoint), device))
        names = models[-1].dataset_meta['keypoint_names']
        if names != models[0].dataset_meta['keypoint_names']:
            raise ValueError(f'{checkpoint}: keypoints {names} differ from the first '
                             f'member\'s {models[0].dataset_meta["keypoint_names"]}')
    return models
