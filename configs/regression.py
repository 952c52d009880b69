# Supervised regression tracker on the built-in toy data: pooled backbone features -> (x, y).
_base_ = [
    '_base_/default_runtime.py',
    '_base_/schedule.py',
    '_base_/datasets/toy.py',
]

model = dict(
    type='PoseTracker',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='RegressionHead', num_keypoints=None),
    # squared pixel distance in frame pixels; NaN labels are skipped
    losses=[dict(type='RegressionMSELoss')],
)

train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
