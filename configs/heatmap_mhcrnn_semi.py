# Semi-supervised context tracker on the built-in toy data: heatmap_mhcrnn.py plus unlabeled
# clips of sessions 1-2 with temporal, single-view PCA and multi-view PCA losses on the
# combined predictions (per keypoint, the more confident head). A clip of 16 frames goes
# through the backbone once; its 12 full 5-frame windows (frames 2-13) feed the losses.
_base_ = ['heatmap.py']

model = dict(
    # heatmap_mhcrnn.py's context head and losses
    head=dict(type='ContextHeatmapHead'),
    losses=[dict(type='HeatmapMSELoss', name=f'heatmap_mse_{h}', loss_weight=0.5,
                 data_info=dict(pred=f'heatmaps_pred_{h}')) for h in ('sf', 'mf')],
    unsupervised_losses=[
        # frame-to-frame jumps above 8 px (the figure moves < 4 px per frame)
        dict(type='TemporalLoss', epsilon=8., prob_threshold=0.05, loss_weight=5e-3),
        dict(type='PCASingleViewLoss', loss_weight=5e-3),
        # the toy labels lie exactly in a 3-D subspace: tolerate 2 px between the views
        dict(type='PCAMultiViewLoss', epsilon=2., loss_weight=5e-3),
    ],
)

train_cfg = dict(type='SemiSupervisedTrainLoop', max_epochs=100, min_steps_per_epoch=5)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[70, 90], gamma=0.5)]
# unsupervised losses ramp in once the supervised loss has shaped the heatmaps
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
