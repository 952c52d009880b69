# Supervised heatmap tracker on the built-in toy data (CPU, a few minutes).
_base_ = [
    '_base_/default_runtime.py',
    '_base_/schedule.py',
    '_base_/datasets/toy.py',
    '_base_/models/heatmap.py',
]

train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
