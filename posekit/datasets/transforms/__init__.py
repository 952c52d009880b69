"""Keypoint-aware data transforms; importing this package registers them in ``TRANSFORMS``.

Every transform reads and writes the ``results`` dict described in ``loading.LoadFrame``: an
RGB ``img``, ``keypoints`` ``(K, 2)`` in current-image pixels (NaN where unlabeled) and
``input_from_frame``, the 3x3 affine from original-frame pixels to current-image pixels.
For context models ``img`` is a stack ``(F, H, W, 3)`` of consecutive frames (labels are the
centre frame's), and every transform applies its one random draw to each frame alike. The
unlabeled clips of ``VideoClipDataset`` are such stacks without ``keypoints``: geometric and
photometric transforms then change only the image and ``input_from_frame``, and
``PackClipInputs`` packs them.

A transform class may declare its pipeline ``stage`` in a class attribute: ``'load'`` (reads
the sample from disk, ``LoadFrame``), ``'target'`` (builds a training target from the labels,
``GenerateTarget``), ``'crop'`` (crops around the labels or precomputed predictions,
``CropAroundKeypoints``, ``CropClipToBoxes``; the two-stage predictor crops around its first
stage's keypoints instead) or ``'pack'`` (turns the sample into tensors, ``PackPoseInputs``,
``PackClipInputs``). A class without one acts on the image and its geometry (``'image'``:
``Resize``, ``Letterbox`` and every augmentation). Video and image inference run only the
image steps of the test pipeline on decoded frames (``posekit.inference.preprocess``), so a
new target, crop or packing transform must declare its stage.
"""
from .clip_crop import CropClipToBoxes
from .crop import CropAroundKeypoints
from .geometric import HorizontalFlip, RandomAffine, RandomCropPad, Resize
from .letterbox import Letterbox
from .loading import LoadFrame
from .packing import PackClipInputs, PackPoseInputs
from .photometric import BrightnessContrast, MotionBlur
from .target import GenerateTarget

__all__ = [
    'BrightnessContrast', 'CropAroundKeypoints', 'CropClipToBoxes', 'GenerateTarget',
    'HorizontalFlip', 'Letterbox', 'LoadFrame', 'MotionBlur', 'PackClipInputs',
    'PackPoseInputs', 'RandomAffine', 'RandomCropPad', 'Resize'
]
