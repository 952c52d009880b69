# The built-in toy project: 160x160 frames, one figure seen from the top and (in a mirror)
# from below, 7 body parts per view. tools/*.py generate it under data/toy on first use.
toy_data = dict(root='data/toy', seed=0)
data_root = 'data/toy'
input_size = (128, 128)  # (W, H) the model sees (square frames: Letterbox is a plain resize)

# keypoint names come from the label header; views list the same body parts in the same
# order (the multi-view PCA loss pairs them), the skeleton joins them within a view
parts = ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase']
metainfo = dict(
    views=dict(top=[p + '_top' for p in parts], bottom=[p + '_bot' for p in parts]),
    skeleton=[(a + v, b + v) for v in ('_top', '_bot') for a, b in (
        ('nose', 'head'), ('head', 'tailbase'), ('head', 'paw_fl'), ('head', 'paw_fr'),
        ('tailbase', 'paw_bl'), ('tailbase', 'paw_br'))],
)

train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(type='Letterbox', input_size=input_size),
    dict(type='RandomAffine', rotation=25., scale=(0.8, 1.2)),
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

# session 1 labels split 90/10 into train/validation; held-out session 3 is the test set
labeled = dict(
    type='LabeledFramesDataset',
    data_root=data_root,
    ann_file='labeled-data/session1/CollectedData.csv',
    test_ann_file='labeled-data/session3/CollectedData_test.csv',
    train_prob=0.9,
    val_prob=0.1,
    seed=0,
)
# shared by the labeled dataloaders below
loader_defaults = dict(num_workers=1, persistent_workers=True,
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       collate_fn=dict(type='default_collate'))
train_dataloader = dict(loader_defaults, batch_size=16, num_workers=2,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(labeled, split='train', pipeline=train_pipeline))
val_dataloader = dict(loader_defaults, batch_size=32,
                      dataset=dict(labeled, split='validation', pipeline=test_pipeline))
# tools/test.py predicts every labeled frame; metrics are reported per split
test_dataloader = dict(loader_defaults, batch_size=32, persistent_workers=False,
                       dataset=dict(labeled, split='all', pipeline=test_pipeline))
# unlabeled clips for semi-supervised recipes (SemiSupervisedTrainLoop reads this entry)
unlabeled_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='clip_collate'),
    dataset=dict(
        type='VideoClipDataset',
        data_root=data_root,
        videos='videos',
        # one draw per clip, the same change on all its frames, every clip (prob=1): angle in
        # [-10, 10] degrees, scale in [0.9, 1.1], no shift; contrast alpha in [0.8, 1.2] and
        # brightness beta in [-0.2, 0.2] * 255 = [-51, 51] grey levels -- the same ranges as
        # the augment=dict(rotation=10., scale=(0.9, 1.1), brightness=0.2, contrast=0.2)
        # argument this pipeline replaces
        pipeline=[
            dict(type='Letterbox', input_size=input_size),
            dict(type='RandomAffine', rotation=10., scale=(0.9, 1.1), prob=1.),
            dict(type='BrightnessContrast', brightness=0.2, contrast=0.2, prob=1.),
            dict(type='PackClipInputs'),
        ],
        clip_length=16,
        seed=0,
    ),
)
# videos with a ground truth for every frame: tools/test.py (and PredictVideosHook) predict
# them into video_preds/ and report video pixel error, jumps and occluded-keypoint error
test_videos = [
    dict(video=data_root + '/videos_test/session3.mp4',
         ground_truth=data_root + '/ground_truth/session3.csv',
         occluded=data_root + '/ground_truth/session3_occluded.csv'),
]
val_evaluator = [dict(type='PixelError'), dict(type='PCK')]
test_evaluator = [dict(type='PixelError'), dict(type='PCK'), dict(type='PredictionsWriter')]
