# Semi-supervised crop-zoom stage 2 on the small-figure toy (docs/two_stage.md): stage 2's
# labeled crops plus unlabeled clips of sessions 1-2, each cut at the boxes of stage 1's
# predictions of its video, with the temporal and PCA losses of configs/heatmap_semi.py.
# First predict the unlabeled videos with stage 1:
#   python tools/predict.py configs/two_stage/toy_small_stage1.py work_dirs/toy_small_stage1 \
#       data/toy_small/videos
# Stage 2 as in toy_small_stage2.py (the same lines over the same two bases; inheriting it
# would make three levels of _base_):
_base_ = ['./toy_small_stage1.py', '../_base_/two_stage/toy_small_stage2.py']

input_size = (128, 128)  # (W, H) of the crop as the model sees it
train_pipeline = {{_base_.crop_train_pipeline}}
test_pipeline = {{_base_.crop_test_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

model = dict(
    unsupervised_losses=[
        dict(type='TemporalLoss', epsilon=8., prob_threshold=0.05, loss_weight=5e-4),
        dict(type='PCASingleViewLoss', loss_weight=5e-4),
        dict(type='PCAMultiViewLoss', epsilon=2., loss_weight=5e-4),
    ],
)

# the boxes two-stage prediction uses: crop_box over the crop step's padding
clip_crop = dict(type='CropClipToBoxes', predictions='work_dirs/toy_small_stage1/video_preds',
                 padding={{_base_.crop.padding}},
                 min_confidence={{_base_.crop_box.min_confidence}},
                 smooth_frames={{_base_.crop_box.smooth_frames}},
                 size_quantile={{_base_.crop_box.size_quantile}})
unlabeled_dataloader = dict(batch_size=2, dataset=dict(clip_length=8, pipeline=[
    clip_crop,
    dict(type='Resize', input_size=None),  # input_size
    dict(type='RandomAffine', rotation=10., scale=(0.9, 1.1), prob=1.),
    dict(type='BrightnessContrast', brightness=0.2, contrast=0.2, prob=1.),
    dict(type='PackClipInputs'),
]))

train_cfg = dict(type='SemiSupervisedTrainLoop', min_steps_per_epoch=5)
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=30, increase_per_epoch=0.02)]
