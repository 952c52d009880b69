# Supervised heatmap tracker on the built-in toy data (CPU, a few minutes).
# Backbone: EfficientNet-Lite0 with the ImageNet weights shipped by its pip package.
_base_ = [
    '_base_/default_runtime.py',
    '_base_/schedule.py',
    '_base_/datasets/toy.py',
]

model = dict(
    type='PoseTracker',
    # the weights were trained on (x - 127) / 128 inputs (TF-Lite convention)
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='HeatmapHead', num_keypoints=None, downsample=2, sigma=1.25),
    losses=[dict(type='HeatmapMSELoss')],
)

train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
