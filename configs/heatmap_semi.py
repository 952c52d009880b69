# Semi-supervised heatmap tracker on the built-in toy data: heatmap.py's labeled frames of
# session 1 plus unlabeled clips of sessions 1-2, with temporal, single-view PCA and
# multi-view PCA losses (the PCA losses use the views of configs/_base_/datasets/toy.py).
_base_ = ['heatmap.py']

model = dict(
    # weights 5e-4: at 5e-3 (about LP's log_weight 5) the unsupervised gradients slowed the
    # supervised fit and session-3 error rose to 17 px (docs/benchmarks.md)
    unsupervised_losses=[
        # frame-to-frame jumps above 8 px (the figure moves < 4 px per frame)
        dict(type='TemporalLoss', epsilon=8., prob_threshold=0.05, loss_weight=5e-4),
        dict(type='PCASingleViewLoss', loss_weight=5e-4),
        # the toy labels lie exactly in a 3-D subspace, so the empirical epsilon would be 0:
        # tolerate 2 px of multi-view inconsistency instead
        dict(type='PCAMultiViewLoss', epsilon=2., loss_weight=5e-4),
    ],
)

# two clips of 8 frames per step rather than one of 16: the clips pass through batch norm
# with their own statistics, and 16 nearly identical frames make those poor (the supervised
# model's session-3 error through such a pass: 6.2 px for one clip of 16, 5.0 px for two of
# 8, 4.4 px at inference); docs/benchmarks.md compares the two on 4 seeds
unlabeled_dataloader = dict(batch_size=2, dataset=dict(clip_length=8))

train_cfg = dict(type='SemiSupervisedTrainLoop', min_steps_per_epoch=5)
# unsupervised losses ramp in once the supervised loss has shaped the heatmaps
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
