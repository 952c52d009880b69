"""Training hooks."""
from .atomic_checkpoint import AtomicCheckpointHook
from .backbone_unfreeze import BackboneUnfreezeHook, backbone_lr_ratio
from .budget_schedule import BudgetScheduleHook
from .pca_fit import PCAFitHook
from .predict_videos import PredictVideosHook
from .safe_checkpoint import SafeCheckpointHook
from .time_budget import TimeBudgetHook
from .unsupervised_warmup import UnsupervisedWarmupHook

__all__ = ['AtomicCheckpointHook', 'BackboneUnfreezeHook', 'BudgetScheduleHook', 'PCAFitHook',
           'PredictVideosHook', 'SafeCheckpointHook', 'TimeBudgetHook', 'UnsupervisedWarmupHook',
           'backbone_lr_ratio']
