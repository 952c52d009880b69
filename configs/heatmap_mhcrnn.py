# Supervised context tracker (Lightning Pose's heatmap_mhcrnn) on the built-in toy data: each
# labeled frame is predicted from itself (single-frame head) and from the frames t-2 ... t+2
# (bidirectional convolutional recurrent head); each keypoint takes the more confident head.
# A sample sends 5 frames through the backbone, so a step costs about 5x heatmap.py's.
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
    head=dict(type='ContextHeatmapHead', num_keypoints=None, downsample=2, sigma=1.25),
    # both heads learn the centre frame's targets; weights 0.5 give LP's total (it averages
    # the MSE over the two heads' heatmaps)
    losses=[
        dict(type='HeatmapMSELoss', name='heatmap_mse_sf', loss_weight=0.5,
             data_info=dict(pred='heatmaps_pred_sf')),
        dict(type='HeatmapMSELoss', name='heatmap_mse_mf', loss_weight=0.5,
             data_info=dict(pred='heatmaps_pred_mf')),
    ],
)

# every labeled dataset serves each labeled frame with its +-2 neighbours (the toy project
# has them as PNGs for the train and the test frames)
train_dataloader = dict(dataset=dict(context=2))
val_dataloader = dict(dataset=dict(context=2))
test_dataloader = dict(dataset=dict(context=2))

train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
