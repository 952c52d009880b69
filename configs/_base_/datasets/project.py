# Your own labeled project. A config inheriting this base sets the project's values as
# top-level variables; the entries below left as None are filled from them when tools/ load
# the config (posekit/apis/project_vars.py, docs/contracts.md "Configs"):
#
#   data_root = '/path/to/project'        # image paths in the label files are relative to it
#   ann_file = 'labeled-data'             # label CSV(s): a path, a glob, a list, or the folder
#   input_size = (256, 256)               # (W, H) the model sees; frames are letterboxed
#                                         # into it (aspect kept, zero pad; docs/contracts.md)
#
# and optionally test_ann_file (label files held out as the test set), videos (unlabeled
# videos for semi-supervised recipes: a folder, a path or a list, relative to data_root) and
# metainfo (views, skeleton, flip pairs by keypoint name).
data_root = None
ann_file = None
test_ann_file = None
input_size = None
videos = None
metainfo = dict()

train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(type='Letterbox', input_size=None),  # input_size
    dict(type='RandomAffine', rotation=25., scale=(0.8, 1.2)),
    dict(type='MotionBlur', prob=0.3),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='GenerateTarget'),  # the model's codec (configs/_base_/models/)
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='Letterbox', input_size=None),  # input_size
    dict(type='GenerateTarget'),
    dict(type='PackPoseInputs'),
]

# 80 % train, 10 % validation, 10 % test (with a test_ann_file: 90 % train, 10 % validation
# is usual; set train_prob / val_prob in the dataloaders' datasets to change it)
labeled = dict(type='LabeledFramesDataset', data_root=None, ann_file=None, test_ann_file=None,
               train_prob=0.8, val_prob=0.1, seed=0)
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
# unlabeled clips for semi-supervised recipes (SemiSupervisedTrainLoop reads this entry);
# the same augmentation per clip as configs/_base_/datasets/toy.py
unlabeled_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='clip_collate'),
    dataset=dict(
        type='VideoClipDataset',
        data_root=None,
        videos=None,
        pipeline=[
            dict(type='Letterbox', input_size=None),  # input_size
            dict(type='RandomAffine', rotation=10., scale=(0.9, 1.1), prob=1.),
            dict(type='BrightnessContrast', brightness=0.2, contrast=0.2, prob=1.),
            dict(type='PackClipInputs'),
        ],
        clip_length=16,
        seed=0,
    ),
)
val_evaluator = [dict(type='PixelError'), dict(type='PCK')]
test_evaluator = [dict(type='PixelError'), dict(type='PCK'), dict(type='PredictionsWriter')]
