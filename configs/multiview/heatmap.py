# Supervised heatmap tracker on the built-in toy multiview project (two cameras): both views
# of an instant go through the backbone as one batch; heatmap loss per view.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/toy_multiview.py',
    '../_base_/models/heatmap.py',
]

# not work_dirs/heatmap, the single-view recipe's default
work_dir = 'work_dirs/multiview/heatmap'
train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
