# Supervised heatmap tracker on Lightning Pose's mirror-mouse example (CPU-friendly budget).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/mirror_mouse.py',
    '../_base_/models/heatmap.py',
]
