# Semi-supervised regression tracker on the built-in toy data (see heatmap_semi.py).
_base_ = [
    '_base_/default_runtime.py',
    '_base_/schedule.py',
    '_base_/datasets/toy.py',
]

top, bottom = list(range(0, 7)), list(range(7, 14))

model = dict(
    type='PoseTracker',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='RegressionHead', num_keypoints=None),
    losses=[dict(type='RegressionMSELoss')],
    unsupervised_losses=[
        # a regression head has no confidences: every frame pair counts
        dict(type='TemporalLoss', epsilon=8., data_info=dict(confidences=None),
             loss_weight=5e-3),
        dict(type='PCASingleViewLoss', columns=top + bottom, loss_weight=5e-3),
        # the toy labels lie exactly in a 3-D subspace, so the empirical epsilon would be 0:
        # tolerate 2 px of multi-view inconsistency instead
        dict(type='PCAMultiViewLoss', view_columns=[top, bottom], epsilon=2.,
             loss_weight=5e-3),
    ],
)

train_cfg = dict(type='SemiSupervisedTrainLoop', max_epochs=100, val_interval=10,
                 min_steps_per_epoch=5)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[70, 90], gamma=0.5)]
# unsupervised losses ramp in once the supervised loss has shaped the heatmaps
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
