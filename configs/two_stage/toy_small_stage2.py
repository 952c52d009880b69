# Crop-zoom stage 2 on the small-figure toy (docs/two_stage.md): the same tracker trained on
# crops around the labels (square box: the labels' extent + 25 % of it on each side, centre
# and size jittered in training), each crop resized to the input. tools/predict.py with this
# config and a stage-2 checkpoint runs both stages: stage 1 (below) finds the animal, its
# keypoints give one smoothed box per frame, stage 2 predicts on the crops, keypoints are
# mapped back to frame pixels. tools/test.py: labeled-frame metrics are stage 2 on crops
# around the labels; the test_videos metrics are the two stages in frame pixels.
_base_ = ['./toy_small_stage1.py']

input_size = (128, 128)  # (W, H) of the crop as the model sees it
crop = dict(type='CropAroundKeypoints', padding=0.25)
train_pipeline = [
    dict(type='LoadFrame', cache=True),
    dict(crop, centre_jitter=0.15, scale_jitter=0.2),
    dict(type='Resize', input_size=None),  # input_size
    dict(type='RandomAffine', rotation=25., scale=(0.9, 1.1)),
    dict(type='MotionBlur', prob=0.3),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='GenerateTarget'),
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    crop,
    dict(type='Resize', input_size=None),  # input_size
    dict(type='GenerateTarget'),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# read by tools/predict.py and tools/test.py (posekit/apis/two_stage.py); paths relative to
# the current folder
stage1 = dict(config='configs/two_stage/toy_small_stage1.py',
              checkpoint='work_dirs/toy_small_stage1')
# boxes from stage 1's keypoints; padding and min_size default to the crop step's
crop_box = dict(min_confidence=0.2, smooth_frames=9, size_quantile=0.95)
