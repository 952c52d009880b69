# Lightning Pose's mirror-mouse example: 406x396 greyscale frames with a top and a bottom
# (mirror) view, 17 keypoints (7 body parts per view + 3 obstacle markers), 90 labeled frames.
data_root = 'data/mirror-mouse-example'
input_size = (256, 256)  # (W, H), as LP's config for this dataset
# Letterbox keeps the frames' aspect: 406x396 -> 256x250 centred, 3 zero rows above and
# below (docs/contracts.md, "Letterbox"); LP squashes them to 256x256

# the body parts seen in both views (the obstacle markers obs_top, obsHigh_bot and
# obsLow_bot are not body parts and stay out of the views)
parts = ['paw1LH', 'paw2LF', 'paw3RF', 'paw4RH', 'tailBase', 'tailMid', 'nose']
metainfo = dict(views=dict(top=[p + '_top' for p in parts], bottom=[p + '_bot' for p in parts]))

train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(type='Letterbox', input_size=input_size),
    dict(type='RandomAffine', rotation=25., scale=(0.8, 1.2)),
    dict(type='RandomCropPad', percent=(-0.15, 0.15), prob=0.5),
    dict(type='MotionBlur', prob=0.3),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='GenerateTarget'),  # the model's codec (configs/_base_/models/)
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='Letterbox', input_size=input_size),
    dict(type='GenerateTarget'),  # the model's codec (configs/_base_/models/)
    dict(type='PackPoseInputs'),
]

# LP's split: 95% train, 5% validation, the rest (one frame at 90 labels) test; we keep 10%
# for test so the reported test error averages more than one frame
labeled = dict(
    type='LabeledFramesDataset',
    data_root=data_root,
    ann_file='CollectedData.csv',
    train_prob=0.8,
    val_prob=0.1,
    seed=0,
)
# shared by the labeled dataloaders below
loader_defaults = dict(num_workers=1, persistent_workers=True,
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       collate_fn=dict(type='default_collate'))
# batch 8, not LP's 16: on a CPU budget twice the steps at half the cost each fit this
# small training set faster (docs/benchmarks.md, "Accuracy per CPU minute")
train_dataloader = dict(loader_defaults, batch_size=8, num_workers=2,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(labeled, split='train', pipeline=train_pipeline))
val_dataloader = dict(loader_defaults, batch_size=16,
                      dataset=dict(labeled, split='validation', pipeline=test_pipeline))
# tools/test.py predicts every labeled frame; metrics are reported per split
test_dataloader = dict(loader_defaults, batch_size=16, persistent_workers=False,
                       dataset=dict(labeled, split='all', pipeline=test_pipeline))
# unlabeled clips of 16 consecutive frames of the example video, resized only (read by
# SemiSupervisedTrainLoop in semi-supervised recipes)
unlabeled_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='clip_collate'),
    dataset=dict(
        type='VideoClipDataset',
        data_root=data_root,
        videos='videos/test_vid.mp4',
        pipeline=[dict(type='Letterbox', input_size=input_size), dict(type='PackClipInputs')],
        clip_length=16,
        seed=0,
    ),
)
# the example's video (no ground truth): tools/test.py (and PredictVideosHook) predict it
# into video_preds/ and report each keypoint's confidence and the frame-to-frame jumps
test_videos = [data_root + '/videos/test_vid.mp4']
val_evaluator = [dict(type='PixelError'), dict(type='PCK')]
test_evaluator = [dict(type='PixelError'), dict(type='PCK'), dict(type='PredictionsWriter')]
