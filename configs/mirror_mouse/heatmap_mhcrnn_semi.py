# Semi-supervised context tracker (Lightning Pose's heatmap_mhcrnn) on LP's mirror-mouse
# example: heatmap_semi.py with the context head. Labeled frames come with their +-2
# neighbours (labeled-data/imgNN.png; img00, img91 and img92 exist as neighbours only).
_base_ = ['heatmap.py', '../_base_/semi/mirror_mouse.py']

model = dict(
    head=dict(type='ContextHeatmapHead'),
    # both heads learn the centre frame's targets with heatmap.py's KL loss (weights 0.5:
    # LP averages the two)
    losses=[dict(type='HeatmapKLLoss', name=f'heatmap_kl_{h}', loss_weight=0.5,
                 data_info=dict(pred=f'heatmaps_pred_{h}')) for h in ('sf', 'mf')],
    unsupervised_losses={{_base_.unsupervised_losses}},
)
train_cfg = dict(type='SemiSupervisedTrainLoop')
custom_hooks = [{{_base_.unsupervised_warmup}}, dict(type='PredictVideosHook')]
