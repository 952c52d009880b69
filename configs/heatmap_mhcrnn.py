# Supervised context tracker (Lightning Pose's heatmap_mhcrnn) on the built-in toy data:
# heatmap.py with a context head. Each labeled frame is predicted from itself (single-frame
# head) and from the frames t-2 ... t+2 (bidirectional convolutional recurrent head); each
# keypoint takes the more confident head. tools give the labeled datasets the head's context
# (frame stacks t-2 ... t+2; the toy project has the neighbours as PNGs), so a step costs
# about 5x heatmap.py's.
_base_ = ['heatmap.py']

model = dict(
    head=dict(type='ContextHeatmapHead'),
    # both heads learn the centre frame's targets; weights 0.5 give LP's total (it averages
    # the MSE over the two heads' heatmaps)
    losses=[dict(type='HeatmapMSELoss', name=f'heatmap_mse_{h}', loss_weight=0.5,
                 data_info=dict(pred=f'heatmaps_pred_{h}')) for h in ('sf', 'mf')],
)
