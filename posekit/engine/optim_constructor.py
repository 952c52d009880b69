"""An optimizer constructor with one parameter group for the backbone and one for the rest."""
import torch
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from posekit.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneHeadOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Build the optimizer with two named groups: ``'head'`` (everything but the backbone,
    first, so logs show its LR) and ``'backbone'``, e.g. for ``BackboneUnfreezeHook``."""

    def __call__(self, model: torch.nn.Module) -> OptimWrapper:
        model = model.module if is_model_wrapper(model) else model
        backbone = list(model.backbone.parameters())
        ids = {id(p) for p in backbone}
        groups = [dict(name='head', params=[p for p in model.parameters() if id(p) not in ids]),
                  dict(name='backbone', params=backbone)]
        optimizer = OPTIMIZERS.build(dict(self.optimizer_cfg, params=groups))
        return OPTIM_WRAPPERS.build(dict(self.optim_wrapper_cfg),
                                    default_args=dict(optimizer=optimizer))
