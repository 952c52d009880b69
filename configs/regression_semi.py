# Semi-supervised regression tracker on the built-in toy data: regression.py plus unlabeled
# clips with temporal, single-view PCA and multi-view PCA losses on the regressed keypoints.
_base_ = ['heatmap.py']

codec = dict(_delete_=True, type='RegressionCodec')
model = dict(
    # regression.py's head and loss
    head=dict(type='RegressionHead'),
    losses=[dict(type='RegressionMSELoss')],
    unsupervised_losses=[
        # a regression head has no confidences: every frame pair counts
        dict(type='TemporalLoss', epsilon=8., data_info=dict(confidences=None),
             loss_weight=5e-3),
        dict(type='PCASingleViewLoss', loss_weight=5e-3),
        # the toy labels lie exactly in a 3-D subspace: tolerate 2 px between the views
        dict(type='PCAMultiViewLoss', epsilon=2., loss_weight=5e-3),
    ],
)

train_cfg = dict(type='SemiSupervisedTrainLoop', max_epochs=100, min_steps_per_epoch=5)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[70, 90], gamma=0.5)]
# unsupervised losses ramp in once the supervised loss has shaped the keypoints
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
