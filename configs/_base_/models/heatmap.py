# Lightning Pose's heatmap tracker: EfficientNet-Lite0 (ImageNet weights shipped by its pip
# package), heatmaps at 1/4 of the input, Gaussian targets of std 1.25 heatmap pixels.
# The codec's input_size is the dataset's input_size; tools hand the codec to the head, the
# target transform (GenerateTarget) and the losses, and the label header's keypoints to the
# head (docs/contracts.md, "Configs").
codec = dict(type='HeatmapCodec', stride=4, sigma=1.25)
model = dict(
    type='PoseTracker',
    # the weights were trained on (x - 127) / 128 inputs (TF-Lite convention)
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[127.] * 3, std=[128.] * 3),
    backbone=dict(type='EfficientNetLite0', pretrained=True),
    head=dict(type='HeatmapHead'),
    losses=[dict(type='HeatmapMSELoss')],
)
