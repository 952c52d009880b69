# Supervised heatmap tracker on Lightning Pose's mirror-mouse example (CPU-friendly budget).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/mirror_mouse.py',
    '../_base_/models/heatmap.py',
]

# The recipe measured on a 2-core CPU with --amp --time-budget (docs/benchmarks.md, "Accuracy
# per CPU minute"): LP's KL heatmap loss fits the softmax heatmaps in far fewer steps than
# its default MSE, and Adam at 2e-3 (batch 8, the dataset base) than at 1e-3
model = dict(losses=[dict(type='HeatmapKLLoss')])
optim_wrapper = dict(optimizer=dict(lr=2e-3))
# after training, predict test_videos and write training_summary.json (each keypoint's
# confidence; one never confident is named), as LP's eval.predict_vids_after_training
custom_hooks = [dict(type='PredictVideosHook')]
