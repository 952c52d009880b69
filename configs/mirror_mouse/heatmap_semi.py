# Semi-supervised heatmap tracker on Lightning Pose's mirror-mouse example with LP's
# unsupervised losses for this dataset (config_mirror-mouse-example.yaml): temporal (epsilon
# 20 px, confidence threshold 0.05), single-view PCA on the body parts seen in both views and
# multi-view PCA across the two views, each at log_weight 5 and ramped in by +0.01 per epoch.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/mirror_mouse.py',
]

# body parts seen in both views: the top view's columns 0-6 match the bottom view's 8-14
# (7 is the top view's obstacle marker, 15-16 the bottom view's)
top, bottom = list(range(0, 7)), list(range(8, 15))

model = dict(
    type='PoseTracker',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='HeatmapHead', num_keypoints=None, downsample=2, sigma=1.25),
    losses=[dict(type='HeatmapMSELoss')],
    unsupervised_losses=[
        dict(type='TemporalLoss', epsilon=20., prob_threshold=0.05, log_weight=5.),
        dict(type='PCASingleViewLoss', columns=top + bottom, components_to_keep=0.99,
             log_weight=5.),
        dict(type='PCAMultiViewLoss', view_columns=[top, bottom], components_to_keep=3,
             log_weight=5.),
    ],
)

train_cfg = dict(type='SemiSupervisedTrainLoop', max_epochs=300, val_interval=10)
# LP's AnnealWeight: the unsupervised weight starts at 0 and grows by 0.01 per epoch
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=0, increase_per_epoch=0.01)]
