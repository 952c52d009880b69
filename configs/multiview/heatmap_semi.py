# Semi-supervised heatmap tracker on the toy multiview project: heatmap.py's labeled instants
# plus synchronised unlabeled clips of both cameras, with the temporal loss per view, the
# multi-view PCA loss across the cameras and the reprojection loss through the calibration
# (configs/_base_/datasets/toy_multiview.py).
_base_ = ['heatmap.py']

model = dict(
    # the weights of configs/heatmap_semi.py (docs/benchmarks.md)
    unsupervised_losses=[
        # frame-to-frame jumps above 8 px (the figure moves < 4 px per frame)
        dict(type='TemporalLoss', epsilon=8., prob_threshold=0.05, loss_weight=5e-4),
        # the toy labels lie exactly in a 3-D subspace: tolerate 2 px of inconsistency
        dict(type='PCAMultiViewLoss', epsilon=2., loss_weight=5e-4),
        # each view within 2 px of the reprojection of the triangulated point; one
        # calibration for every batch (the toy's sessions share their cameras)
        dict(type='ReprojectionLoss', calibration='data/toy_multiview/calibrations/session1.toml',
             epsilon=2., prob_threshold=0.05, loss_weight=5e-4),
    ],
)

work_dir = 'work_dirs/multiview/heatmap_semi'
train_cfg = dict(type='SemiSupervisedTrainLoop', min_steps_per_epoch=5)
# unsupervised losses ramp in once the supervised loss has shaped the heatmaps
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
