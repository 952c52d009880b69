# Semi-supervised heatmap tracker on Lightning Pose's mirror-mouse example: heatmap.py plus
# unlabeled clips of the example video with LP's unsupervised losses for this dataset
# (configs/_base_/semi/mirror_mouse.py), ramped in by +0.01 per epoch.
_base_ = ['heatmap.py', '../_base_/semi/mirror_mouse.py']

model = dict(unsupervised_losses={{_base_.unsupervised_losses}})
train_cfg = dict(type='SemiSupervisedTrainLoop')
custom_hooks = [{{_base_.unsupervised_warmup}}, dict(type='PredictVideosHook')]
