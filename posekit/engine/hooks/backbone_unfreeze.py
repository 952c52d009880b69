"""Lightning Pose's backbone fine-tuning schedule: frozen, then a growing learning rate."""
from mmengine.hooks import Hook

from posekit.registry import HOOKS


def backbone_lr_ratio(epoch: int, unfreeze_epoch: int, initial_ratio: float,
                      growth: float) -> float:
    """Backbone LR / head LR at ``epoch``: 0 before ``unfreeze_epoch``, then
    ``initial_ratio * growth ** (epoch - unfreeze_epoch)`` capped at 1."""
    if epoch < unfreeze_epoch:
        return 0.
    return min(1., initial_ratio * growth ** (epoch - unfreeze_epoch))


@HOOKS.register_module()
class BackboneUnfreezeHook(Hook):
    """Set the backbone's learning rate relative to the head's at every epoch.

    Needs the optimizer groups named ``'backbone'`` and ``'head'`` that
    ``BackboneHeadOptimWrapperConstructor`` makes. LP's schedule: LR 0 until
    ``unfreeze_epoch``, then 0.1× the head's, growing ×1.5 per epoch up to 1×. Learning
    rate schedulers keep acting on the head group; the backbone follows it.

    Args:
        unfreeze_epoch: First epoch (0-based) with a non-zero backbone LR.
        initial_ratio: Backbone/head LR ratio at ``unfreeze_epoch``.
        growth: Factor the ratio grows by each epoch.
    """

    priority = 'LOW'

    def __init__(self, unfreeze_epoch: int = 20, initial_ratio: float = 0.1,
                 growth: float = 1.5):
        self.unfreeze_epoch = unfreeze_epoch
        self.initial_ratio = initial_ratio
        self.growth = growth

    def before_train_epoch(self, runner) -> None:
        groups = {g.get('name'): g for g in runner.optim_wrapper.optimizer.param_groups}
        if not {'backbone', 'head'} <= set(groups):
            raise ValueError("BackboneUnfreezeHook needs optimizer groups named 'backbone' "
                             "and 'head': set optim_wrapper.constructor="
                             "'BackboneHeadOptimWrapperConstructor'")
        ratio = backbone_lr_ratio(runner.epoch, self.unfreeze_epoch, self.initial_ratio,
                                  self.growth)
        groups['backbone']['lr'] = ratio * groups['head']['lr']
        runner.message_hub.update_scalar('train/backbone_lr_ratio', ratio)
