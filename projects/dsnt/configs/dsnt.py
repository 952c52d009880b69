# The core heatmap tracker with DSNTHead from this project: keypoints are heatmap
# expectations trained on the squared pixel error (frame pixels); the Jensen-Shannon
# divergence to the codec's Gaussian targets regularises the maps. HeatmapJSLoss averages
# over the 32 x 32 heatmap pixels of the toy input, so loss_weight=1024 is the paper's
# lambda = 1 on the per-map divergence (not tuned against the pixel term).
_base_ = ['../../../configs/heatmap.py']
custom_imports = dict(imports=['projects.dsnt'], allow_failed_imports=False)

model = dict(head=dict(type='DSNTHead'),
             losses=[dict(type='RegressionMSELoss'), dict(type='HeatmapJSLoss', loss_weight=1024.)])
