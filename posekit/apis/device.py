"""Turn a ``--device`` string into a torch device, or one line saying why it cannot be used."""
from typing import Union

import torch

#: The device names :func:`resolve_device` accepts.
DEVICE_CHOICES = 'cpu, cuda, cuda:N, mps'


def resolve_device(name: Union[str, torch.device]) -> torch.device:
    """The torch device ``name`` stands for, checked against this machine.

    Args:
        name: ``'cpu'``, ``'cuda'`` (the current CUDA device), ``'cuda:N'`` or ``'mps'`` (the
            GPU of an Apple silicon Mac); case and surrounding spaces are ignored.

    Returns:
        The ``torch.device``.

    Raises:
        ValueError: ``name`` is no such device, or names CUDA on a machine without it (or an
            index past its devices), or MPS where torch has none (one line each; the tools
            print it as ``error: ...``).
    """
    text = str(name).strip().lower()
    try:
        device = torch.device(text)
    except RuntimeError:
        device = None
    if device is None or device.type not in ('cpu', 'cuda', 'mps') or \
            (device.type != 'cuda' and device.index not in (None, 0)):
        raise ValueError(f'unknown device {str(name)!r}; choose one of: {DEVICE_CHOICES}')
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(f'device {text!r}: CUDA is not available on this machine '
                             f'(torch {torch.__version__}); use cpu')
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ValueError(f'device {text!r}: this machine has {count} CUDA device(s), '
                             f'cuda:0 to cuda:{count - 1}')
    if device.type == 'mps' and not torch.backends.mps.is_available():
        raise ValueError(f'device {text!r}: MPS is not available here (it needs an Apple '
                         'silicon Mac and a torch built with MPS); use cpu')
    return device
