# Semi-supervised heatmap tracker on Lightning Pose's mirror-mouse example with LP's
# unsupervised losses for this dataset (config_mirror-mouse-example.yaml): temporal (epsilon
# 20 px, confidence threshold 0.05), single-view PCA on the body parts seen in both views and
# multi-view PCA across the two views (metainfo.views of the dataset base), each at
# log_weight 5 and ramped in by +0.01 per epoch.
_base_ = ['heatmap.py']

model = dict(
    unsupervised_losses=[
        dict(type='TemporalLoss', epsilon=20., prob_threshold=0.05, log_weight=5.),
        dict(type='PCASingleViewLoss', components_to_keep=0.99, log_weight=5.),
        dict(type='PCAMultiViewLoss', components_to_keep=3, log_weight=5.),
    ],
)

train_cfg = dict(type='SemiSupervisedTrainLoop')
# LP's AnnealWeight: the unsupervised weight starts at 0 and grows by 0.01 per epoch
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=0, increase_per_epoch=0.01),
                dict(type='PredictVideosHook')]
