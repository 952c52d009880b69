# The core heatmap tracker plus BoneLengthLoss from this project: one import, one line.
# configs/heatmap_semi.py did not exist when this was written: this extends the supervised
# configs/heatmap.py and the loss acts on the labeled batch (see README.md to switch).
_base_ = ['../../../configs/heatmap.py']
custom_imports = dict(imports=['projects.bone_length'], allow_failed_imports=False)

# toy keypoints 0-1 and 7-8: nose-head in the top and in the bottom view
model = dict(losses=[dict(type='HeatmapMSELoss'), dict(type='BoneLengthLoss', pairs=[(0, 1), (7, 8)], epsilon=2., loss_weight=0.01)])  # noqa: E501
