"""Training machinery around mmengine's Runner: loops, hooks, optimizers, mixed precision."""
from . import hooks
from .amp import BF16OptimWrapper, amp_optim_wrapper, cpu_supports_bf16
from .loops import LabeledUnlabeledLoader, SemiSupervisedTrainLoop
from .optim_constructor import BackboneHeadOptimWrapperConstructor

__all__ = ['hooks', 'BF16OptimWrapper', 'amp_optim_wrapper', 'cpu_supports_bf16',
           'LabeledUnlabeledLoader', 'SemiSupervisedTrainLoop',
           'BackboneHeadOptimWrapperConstructor']
