"""Find, read and check checkpoint files before any work is done with them.

Every problem is one :class:`CheckpointFileError` / ``CheckpointMismatchError`` line naming
the file and the fix: a file that is not a readable checkpoint names the newest other
checkpoint of its folder; a weights-only file given to ``--resume`` names ``--load-from``;
a checkpoint of another model names the config's head and the checkpoint's head.
"""
import ast
import glob
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from torch import nn

from posekit.models.trackers import CheckpointMismatchError


class CheckpointFileError(ValueError):
    """A checkpoint file is missing, unreadable or cannot be used as asked."""


def resolve_checkpoint(path: str) -> str:
    """A checkpoint file, or the best (else the last) checkpoint of a work dir.

    Raises:
        FileNotFoundError: Nothing to load at ``path``.
    """
    if osp.isdir(path):
        best = sorted(glob.glob(osp.join(path, 'best_*.pth')), key=osp.getmtime)
        if best:
            return best[-1]
        last = latest_checkpoint(path)
        if last is not None:
            return last
        raise FileNotFoundError(f'no best_*.pth or last_checkpoint in {path}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    return path


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, or None without that file.

    Raises:
        CheckpointFileError: ``last_checkpoint`` names a file that does not exist.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        raise CheckpointFileError(f'{record} names {path}, which does not exist; '
                                  f'{_fix_hint(path, resumable=True)}')
    return path


def _fix_hint(path: str, resumable: bool) -> str:
    """What to use instead of ``path``: the newest other (non-empty) checkpoint of its folder.

    Args:
        path: The checkpoint that cannot be used.
        resumable: Suggest ``--resume`` with a checkpoint that is not a ``best_*.pth``.
    """
    folder = osp.dirname(osp.abspath(path))
    others = [p for p in glob.glob(osp.join(folder, '*.pth'))
              if osp.abspath(p) != osp.abspath(path) and osp.getsize(p) > 0 and
              not (resumable and osp.basename(p).startswith('best_'))]
    if not others:
        return f'no other checkpoint in {folder}: train again'
    previous = max(others, key=osp.getmtime)
    if resumable:
        return f'resume from the previous checkpoint instead: --resume {previous}'
    return f'use the previous checkpoint instead: {previous}'


def read_checkpoint(path: str, resumable: bool = False) -> dict:
    """Load a checkpoint safely (``weights_only=True``) on the CPU.

    Args:
        path: A checkpoint file.
        resumable: Name a resumable checkpoint (not ``best_*``) in the error's fix.

    Returns:
        The checkpoint: a dict with ``state_dict`` (a plain state dict is wrapped as one).

    Raises:
        CheckpointFileError: The file is empty, truncated or not a checkpoint.
    """
    if not osp.isfile(path):
        raise CheckpointFileError(f'checkpoint not found: {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # torch raises several types for broken files
        kind = 'is empty' if osp.getsize(path) == 0 else \
            'is not a readable checkpoint (truncated, or another kind of file)'
        raise CheckpointFileError(f'{path} {kind} ({type(error).__name__}); '
                                  f'{_fix_hint(path, resumable)}') from None
    if not isinstance(checkpoint, dict) or not checkpoint or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.get('state_dict', checkpoint)
            .values() if not isinstance(v, dict)):
        raise CheckpointFileError(f'{path} is not a checkpoint (no state_dict of tensors); '
                                  f'{_fix_hint(path, resumable)}')
    return checkpoint if 'state_dict' in checkpoint else dict(state_dict=checkpoint)


def check_resumable(path: str, cfg: Config) -> None:
    """Fail unless ``path`` holds what ``--resume`` restores: optimizer and schedulers.

    Raises:
        CheckpointFileError: The file is unreadable or holds weights only.
    """
    checkpoint = read_checkpoint(path, resumable=True)
    missing = [name for name, needed in (('optimizer', True),
                                         ('param_schedulers', bool(cfg.get('param_scheduler'))))
               if needed and name not in checkpoint]
    if missing:
        raise CheckpointFileError(
            f'{path} has no {" or ".join(missing)} state (weights only), so training cannot '
            f'resume from it; {_fix_hint(path, resumable=True)}, or start a new training from '
            f'its weights with --load-from {path}')


def check_checkpoint_keypoints(checkpoint: str, num_keypoints: int) -> None:
    """Fail early, naming the file, when a checkpoint was trained for another keypoint count.

    Raises:
        CheckpointFileError: The file is not a readable checkpoint.
        CheckpointMismatchError: The checkpoint's dataset had another number of keypoints.
    """
    meta = read_checkpoint(checkpoint).get('meta', {})
    names = meta.get('dataset_meta', {}).get('keypoint_names')
    if names is not None and len(names) != num_keypoints:
        raise CheckpointMismatchError(
            f'{checkpoint} was trained for {len(names)} keypoints ({names}); the config\'s '
            f'labels have {num_keypoints}')


def _dict_call_keyword(node: ast.AST, name: str) -> Optional[ast.AST]:
    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg == name:
                return keyword.value
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == name:
                return value
    return None


def checkpoint_head(checkpoint: dict) -> str:
    """The head type recorded in a checkpoint's config (``meta['cfg']``), else its tensors.

    Returns:
        E.g. ``'RegressionHead'``, or ``'a head with tensors head.fc.weight, ...'``.
    """
    text = (checkpoint.get('meta') or {}).get('cfg')
    if isinstance(text, str):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        for statement in tree.body if tree is not None else []:
            if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == 'model' for t in statement.targets):
                head_type = _dict_call_keyword(
                    _dict_call_keyword(statement.value, 'head'), 'type')
                if isinstance(head_type, ast.Constant):
                    return str(head_type.value)
    keys = [k for k in checkpoint['state_dict'] if k.startswith('head.')]
    shown = ', '.join(keys[:3]) + (', ...' if len(keys) > 3 else '')
    return f'a head with tensors {shown}' if keys else 'no head tensors'


def _keys(keys: list[str]) -> str:
    return ', '.join(keys[:4]) + (f', ... ({len(keys)} in all)' if len(keys) > 4 else '')


def load_state_dict_strictly(model: nn.Module, checkpoint: dict, path: str,
                             cfg: Config) -> None:
    """Load the checkpoint's weights into ``model``, refusing any missing or extra tensor.

    Args:
        model: The model built from ``cfg`` (unwrapped).
        checkpoint: From :func:`read_checkpoint`.
        path: The checkpoint file (for the message).
        cfg: The config ``model`` was built from (its ``model.head.type`` is named).

    Raises:
        CheckpointMismatchError: Missing, unexpected or reshaped tensors, naming the
            config's head and the checkpoint's head.
    """
    problems = []
    try:
        result = model.load_state_dict(checkpoint['state_dict'], strict=False)
    except RuntimeError as error:  # CheckpointMismatchError, or torch's size mismatches
        problems.append(' '.join(str(error).split()))
    else:
        problems = [f'{label}: {_keys(keys)}' for label, keys in (
            ('Missing keys in the checkpoint', result.missing_keys),
            ('unexpected keys', result.unexpected_keys)) if keys]
    if problems:
        head = (cfg.model.get('head') or {}).get('type', 'none')
        raise CheckpointMismatchError(
            f'{path} does not fit the config: the config\'s head is {head}, the '
            f'checkpoint\'s head is {checkpoint_head(checkpoint)}; {"; ".join(problems)}')
