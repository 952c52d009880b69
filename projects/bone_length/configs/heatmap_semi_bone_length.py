# The core heatmap tracker plus BoneLengthLoss from this project: one import, one line. It
# extends the supervised configs/heatmap.py, so the loss acts on labeled batches; README.md
# shows how to move it onto unlabeled clips with configs/heatmap_semi.py.
_base_ = ['../../../configs/heatmap.py']
custom_imports = dict(imports=['projects.bone_length'], allow_failed_imports=False)

# nose-head in the top and in the bottom view (toy keypoint names)
model = dict(losses=[dict(type='HeatmapMSELoss'), dict(type='BoneLengthLoss', pairs=[('nose_top', 'head_top'), ('nose_bot', 'head_bot')], epsilon=2., loss_weight=0.01)])  # noqa: E501
