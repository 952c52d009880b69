# Supervised heatmap tracker on Lightning Pose's mirror-mouse example (CPU-friendly budget).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/mirror_mouse.py',
]

model = dict(
    type='PoseTracker',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='HeatmapHead', num_keypoints=None, downsample=2, sigma=1.25),
    losses=[dict(type='HeatmapMSELoss')],
)

train_cfg = dict(max_epochs=300, val_interval=10)
