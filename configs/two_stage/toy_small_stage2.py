# Crop-zoom stage 2 on the small-figure toy (docs/two_stage.md): the same tracker trained on
# crops around the labels (square box: the labels' extent + 25 % of it on each side, centre
# and size jittered in training), each crop resized to the input. tools/predict.py with this
# config and a stage-2 checkpoint runs both stages: stage 1 (below) finds the animal, its
# keypoints give one smoothed box per frame, stage 2 predicts on the crops, keypoints are
# mapped back to frame pixels. tools/test.py: labeled-frame metrics are stage 2 on crops
# around the labels; the test_videos metrics are the two stages in frame pixels.
# The crop pipelines, stage1 and crop_box: configs/_base_/two_stage/toy_small_stage2.py.
_base_ = ['./toy_small_stage1.py', '../_base_/two_stage/toy_small_stage2.py']

input_size = (128, 128)  # (W, H) of the crop as the model sees it
train_pipeline = {{_base_.crop_train_pipeline}}
test_pipeline = {{_base_.crop_test_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
