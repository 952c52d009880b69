# What makes a recipe stage 2 of the small-figure toy's crop-zoom pipeline
# (docs/two_stage.md), shared by configs/two_stage/toy_small_stage2.py and its
# semi-supervised version. Both inherit toy_small_stage1.py and this piece, and point their
# dataloaders at the crop pipelines:
#   train_pipeline = {{_base_.crop_train_pipeline}}
#   test_pipeline = {{_base_.crop_test_pipeline}}
#   train_dataloader = dict(dataset=dict(pipeline=train_pipeline)), val/test: test_pipeline

# square box: the labels' extent + 25 % of it on each side; centre and size jittered in
# training; each crop resized to the input
crop = dict(type='CropAroundKeypoints', padding=0.25)
crop_train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(crop, centre_jitter=0.15, scale_jitter=0.2),
    dict(type='Resize', input_size=None),  # input_size
    dict(type='RandomAffine', rotation=25., scale=(0.9, 1.1)),
    dict(type='MotionBlur', prob=0.3),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='GenerateTarget'),
    dict(type='PackPoseInputs'),
]
crop_test_pipeline = [
    dict(type='LoadFrame'),
    crop,
    dict(type='Resize', input_size=None),  # input_size
    dict(type='GenerateTarget'),
    dict(type='PackPoseInputs'),
]

# read by tools/predict.py and tools/test.py (posekit/apis/two_stage.py); paths relative to
# the current folder
stage1 = dict(config='configs/two_stage/toy_small_stage1.py',
              checkpoint='work_dirs/toy_small_stage1')
# boxes from stage 1's keypoints; padding and min_size default to the crop step's
crop_box = dict(min_confidence=0.2, smooth_frames=9, size_quantile=0.95)
