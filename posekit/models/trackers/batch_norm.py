"""Batch-norm helpers of the tracker's training passes."""
from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@contextmanager
def frozen_running_stats(model: nn.Module) -> Iterator[None]:
    """Batch-norm layers keep normalising by batch statistics but stop updating running ones.

    Args:
        model: Its batch-norm layers get momentum 0 inside the block, their own after it.
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    momenta = [m.momentum for m in norms]
    for module in norms:
        module.momentum = 0.
    try:
        yield
    finally:
        for module, momentum in zip(norms, momenta):
            module.momentum = momentum
