# Lightning Pose's unsupervised losses for the mirror-mouse example
# (config_mirror-mouse-example.yaml), shared by configs/mirror_mouse/heatmap_semi.py and
# heatmap_mhcrnn_semi.py: temporal (epsilon 20 px, confidence threshold 0.05), single-view
# PCA on the body parts seen in both views and multi-view PCA across the two views
# (metainfo.views of the dataset base), each at log_weight 5. A recipe inheriting this piece
# uses them as
#   model = dict(unsupervised_losses={{_base_.unsupervised_losses}})
#   custom_hooks = [{{_base_.unsupervised_warmup}}, ...]
unsupervised_losses = [
    dict(type='TemporalLoss', epsilon=20., prob_threshold=0.05, log_weight=5.),
    dict(type='PCASingleViewLoss', components_to_keep=0.99, log_weight=5.),
    dict(type='PCAMultiViewLoss', components_to_keep=3, log_weight=5.),
]
# LP's AnnealWeight: the unsupervised weight starts at 0 and grows by 0.01 per epoch
unsupervised_warmup = dict(type='UnsupervisedWarmupHook', start_epoch=0, increase_per_epoch=0.01)
