# Semi-supervised context tracker (Lightning Pose's heatmap_mhcrnn) on LP's mirror-mouse
# example, with LP's unsupervised losses for this dataset (config_mirror-mouse-example.yaml):
# temporal, single-view PCA and multi-view PCA, each at log_weight 5 and ramped in by +0.01
# per epoch. Labeled frames come with their +-2 neighbours (labeled-data/imgNN.png; img00,
# img91 and img92 exist as neighbours only).
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
    head=dict(type='ContextHeatmapHead', num_keypoints=None, downsample=2, sigma=1.25),
    # both heads learn the centre frame's targets (weights 0.5: LP averages the two)
    losses=[
        dict(type='HeatmapMSELoss', name='heatmap_mse_sf', loss_weight=0.5,
             data_info=dict(pred='heatmaps_pred_sf')),
        dict(type='HeatmapMSELoss', name='heatmap_mse_mf', loss_weight=0.5,
             data_info=dict(pred='heatmaps_pred_mf')),
    ],
    unsupervised_losses=[
        dict(type='TemporalLoss', epsilon=20., prob_threshold=0.05, log_weight=5.),
        dict(type='PCASingleViewLoss', columns=top + bottom, components_to_keep=0.99,
             log_weight=5.),
        dict(type='PCAMultiViewLoss', view_columns=[top, bottom], components_to_keep=3,
             log_weight=5.),
    ],
)

train_dataloader = dict(dataset=dict(context=2))
val_dataloader = dict(dataset=dict(context=2))
test_dataloader = dict(dataset=dict(context=2))

# Lightning Pose's optimisation: Adam 1e-3, halved at fixed epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[150, 200, 250], gamma=0.5),
]
train_cfg = dict(type='SemiSupervisedTrainLoop', max_epochs=300, val_interval=10)
# LP's AnnealWeight: the unsupervised weight starts at 0 and grows by 0.01 per epoch
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=0, increase_per_epoch=0.01)]
