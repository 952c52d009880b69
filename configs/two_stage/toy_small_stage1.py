# Crop-zoom stage 1 on the small-figure toy (docs/two_stage.md): an ordinary heatmap tracker
# on whole 320x320 frames at low resolution (0.4x); its keypoints only have to find the
# animal. tools/*.py generate the data under data/toy_small on first use.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedule.py',
    '../_base_/datasets/project.py',
    '../_base_/models/heatmap.py',
]

toy_data = dict(root='data/toy_small', seed=0, small_figure=True)
data_root = 'data/toy_small'
ann_file = 'labeled-data/session1/CollectedData.csv'
test_ann_file = 'labeled-data/session3/CollectedData_test.csv'
videos = 'videos'
input_size = (128, 128)  # (W, H): the whole frame, 0.4x

parts = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
metainfo = dict(
    views=dict(top=[p + '_top' for p in parts], bottom=[p + '_bot' for p in parts]))

# session 1 labels split 90/10 into train/validation; held-out session 3 is the test set
split = dict(train_prob=0.9, val_prob=0.1)
train_dataloader = dict(dataset=split)
val_dataloader = dict(dataset=split)
test_dataloader = dict(dataset=split)
test_videos = [
    dict(video=data_root + '/videos_test/session3.mp4',
         ground_truth=data_root + '/ground_truth/session3.csv'),
]

train_cfg = dict(max_epochs=150, val_interval=10)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 130], gamma=0.5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
