"""Training machinery around mmengine's Runner: hooks, loops, optimizer wrappers."""
from . import hooks
from .amp import BF16OptimWrapper, amp_optim_wrapper, cpu_supports_bf16

__all__ = ['hooks', 'BF16OptimWrapper', 'amp_optim_wrapper', 'cpu_supports_bf16']
