"""Training hooks."""
from .backbone_unfreeze import BackboneUnfreezeHook, backbone_lr_ratio
from .pca_fit import PCAFitHook
from .safe_checkpoint import SafeCheckpointHook
from .unsupervised_warmup import UnsupervisedWarmupHook

__all__ = ['BackboneUnfreezeHook', 'PCAFitHook', 'SafeCheckpointHook', 'UnsupervisedWarmupHook',
           'backbone_lr_ratio']
