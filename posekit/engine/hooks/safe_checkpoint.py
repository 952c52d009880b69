"""Keep checkpoints loadable with ``torch.load(weights_only=True)``.

mmengine stores its message hub as ``HistoryBuffer`` objects holding numpy arrays, which
torch's safe unpickler refuses (and allow-listing them would need ``getattr``, which is not
safe). This hook stores them as plain lists before saving and rebuilds them after loading,
so ``--resume`` and ``load_from`` work without ever executing code from a checkpoint.
"""
from typing import Any

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from posekit.registry import HOOKS

PLAIN_BUFFER = '__history_buffer__'


def to_plain(value: Any) -> Any:
    """Recursively replace numpy values, history buffers and dict subclasses by plain
    Python/torch values."""
    if isinstance(value, HistoryBuffer):
        logs, counts = value.data
        return {PLAIN_BUFFER: True, 'log_history': logs.tolist(),
                'count_history': counts.tolist(), 'max_length': value.max_length}
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy()) if value.dtype != object else \
            [to_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):  # also mmengine's ConfigDict (e.g. a config's metainfo)
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    return value


def from_plain(value: Any) -> Any:
    """Rebuild the history buffers that :func:`to_plain` flattened."""
    if isinstance(value, dict):
        if value.get(PLAIN_BUFFER):
            return HistoryBuffer(value['log_history'], value['count_history'],
                                 value['max_length'])
        restored = value.copy()
        for key, item in restored.items():
            restored[key] = from_plain(item)
        return restored
    return value


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Store the message hub and meta of checkpoints as plain data, restore them on load."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in ('meta', 'message_hub', 'param_schedulers'):
            if key in checkpoint:
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
