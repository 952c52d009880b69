# Supervised regression tracker on the built-in toy data: heatmap.py's backbone with pooled
# features -> normalised (x, y) per keypoint, trained on the squared pixel distance in frame
# pixels (NaN labels are skipped).
_base_ = ['heatmap.py']

codec = dict(_delete_=True, type='RegressionCodec')
model = dict(head=dict(type='RegressionHead'), losses=[dict(type='RegressionMSELoss')])
