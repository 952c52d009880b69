# The built-in toy multiview project: the toy figure filmed by two calibrated cameras, `top`
# (160x96 frames) and `bottom` (160x112), one label file and one video per view (Lightning
# Pose's layout). tools/*.py generate it under data/toy_multiview on first use.
toy_data = dict(root='data/toy_multiview', seed=0, multiview=True)
data_root = 'data/toy_multiview'
view_names = ['top', 'bottom']
input_size = (128, 96)  # (W, H) the model sees; every view is resized to it

# the same 7 body parts in every view (keypoint names from the label headers); the views are
# separate cameras, so the model has a view axis. One calibration per session (Lightning
# Pose's layout): tools/predict.py and tools/test.py triangulate each session through its own
# file. The ReprojectionLoss uses one file for every batch (configs/multiview/heatmap_semi.py).
parts = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
metainfo = dict(
    view_names=view_names,
    calibration=data_root + '/calibrations/{session}.toml',
    skeleton=[('nose', 'head'), ('head', 'tailbase'), ('head', 'paw_fl'), ('head', 'paw_fr'),
              ('tailbase', 'paw_bl'), ('tailbase', 'paw_br')],
)

# each view gets its own augmentation draw
train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(type='Resize', input_size=input_size),
    dict(type='RandomAffine', rotation=25., scale=(0.8, 1.2)),
    dict(type='MotionBlur', prob=0.3),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='GenerateTarget'),  # the model's codec (configs/_base_/models/)
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='Resize', input_size=input_size),
    dict(type='GenerateTarget'),  # the model's codec (configs/_base_/models/)
    dict(type='PackPoseInputs'),
]

# session 1 labels split 90/10 into train/validation; held-out session 3 is the test set
labeled = dict(
    type='MultiviewLabeledFramesDataset',
    view_names=view_names,
    data_root=data_root,
    ann_file='CollectedData_{view}.csv',
    test_ann_file='CollectedData_{view}_test.csv',
    train_prob=0.9,
    val_prob=0.1,
    seed=0,
)
loader_defaults = dict(num_workers=1, persistent_workers=True,
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       collate_fn=dict(type='default_collate'))
# 8 instants = 16 images per backbone batch
train_dataloader = dict(loader_defaults, batch_size=8, num_workers=2,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(labeled, split='train', pipeline=train_pipeline))
val_dataloader = dict(loader_defaults, batch_size=16,
                      dataset=dict(labeled, split='validation', pipeline=test_pipeline))
# tools/test.py predicts every labeled instant in every view; metrics per split and view
test_dataloader = dict(loader_defaults, batch_size=16, persistent_workers=False,
                       dataset=dict(labeled, split='all', pipeline=test_pipeline))
# synchronised unlabeled clips of both views of sessions 1-2 (semi-supervised recipes)
unlabeled_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='clip_collate'),
    dataset=dict(
        type='MultiviewVideoClipDataset',
        data_root=data_root,
        videos='videos',
        view_names=view_names,
        # the ranges of configs/_base_/datasets/toy.py's clips, drawn per view
        pipeline=[
            dict(type='Resize', input_size=input_size),
            dict(type='RandomAffine', rotation=10., scale=(0.9, 1.1), prob=1.),
            dict(type='BrightnessContrast', brightness=0.2, contrast=0.2, prob=1.),
            dict(type='PackClipInputs'),
        ],
        clip_length=8,
        seed=0,
    ),
)
val_evaluator = [dict(type='PixelError'), dict(type='PCK')]
# tools/test.py also writes predictions_<view>.csv and predictions_<view>_pixel_error.csv
test_evaluator = [dict(type='PixelError'), dict(type='PCK'), dict(type='PredictionsWriter')]
# tools/test.py predicts the held-out session's videos: per-view pixel errors against the
# true 2-D keypoints, 3-D error of the triangulated predictions against the true 3-D body
# parts, per-frame reprojection error (docs/multiview.md)
test_sessions = [dict(
    session='session3',
    videos=data_root + '/videos_test/session3_{view}.mp4',
    ground_truth=data_root + '/ground_truth/session3_{view}.csv',
    occluded=data_root + '/ground_truth/session3_{view}_occluded.csv',
    ground_truth_3d=data_root + '/ground_truth/session3_3d.csv',
    reprojection_threshold=5.,
)]
