"""The image steps of a config's test pipeline, applied to decoded video frames and images.

Inference preprocesses a frame as the test dataset preprocesses a labeled frame: it builds the
registered transforms of ``cfg.test_dataloader.dataset.pipeline`` and runs those that act on
the image on a ``results`` dict holding the decoded frame (the contract of
``posekit.datasets.transforms``), which gives the model input ``img`` and
``input_from_frame``, the frame → input affine the geometric steps accumulate.

Which steps run is decided by the ``stage`` class attribute a transform may declare:
``'load'`` (reads the sample from disk: ``LoadFrame``), ``'target'`` (training targets from
the labels: ``GenerateTarget``) and ``'pack'`` (tensors for the model:
``PackPoseInputs``) are skipped, since the frame is already decoded, inference has no labels
and the batch is packed here; so is ``'crop'`` (crops around the labels:
``CropAroundKeypoints``; the two-stage predictor, ``posekit.inference.two_stage``, crops
around its first stage's keypoints before these steps). A class that declares no stage
(``Resize`` and every augmentation) is an ``'image'`` step and runs.

The image steps must give every frame one size, the model's input size. When the pipeline is
built it is probed with two blank frames of different sizes; a pipeline whose image steps do
not fix the size (e.g. one without ``Resize``) is refused with an error naming the config key.
"""
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from mmengine.config import Config
from torch import Tensor

from posekit.registry import TRANSFORMS

#: Where the steps come from, as named in error messages.
PIPELINE_KEY = 'test_dataloader.dataset.pipeline'
#: Stages of transforms that do not act on the image (see the module docstring).
SKIPPED_STAGES = ('load', 'target', 'crop', 'pack')
#: ``(W, H)`` of the blank frames that probe the pipeline's output size.
PROBE_SIZES = ((83, 61), (53, 97))

Step = Callable[[dict], dict]


def is_image_step(step: object) -> bool:
    """Whether a pipeline step (or its class) acts on the image: it declares no skipped
    ``stage``."""
    return getattr(step, 'stage', 'image') not in SKIPPED_STAGES


class FramePipeline:
    """Turn ``(H0, W0, 3)`` uint8 RGB frames into model inputs with the test pipeline's steps.

    Args:
        steps: Transforms taking and returning a ``results`` dict (only the image steps).

    Attributes:
        input_size: ``(W, H)`` of every input the steps produce.

    Raises:
        ValueError: A step fails on a blank frame, or the steps do not give frames of
            different sizes one common size.
    """

    def __init__(self, steps: Sequence[Step]):
        self.steps = list(steps)
        self.input_size = self._probe()

    @classmethod
    def from_config(cls, cfg: Config) -> 'FramePipeline':
        """The image steps of ``cfg.test_dataloader.dataset.pipeline``.

        Args:
            cfg: A config with a test dataloader.

        Returns:
            The pipeline.

        Raises:
            ValueError: The config has no test pipeline, or it does not give every frame the
                model's input size.
        """
        pipeline = ((cfg.get('test_dataloader') or {}).get('dataset') or {}).get('pipeline')
        if not pipeline:
            raise ValueError(f'the config has no test pipeline ({PIPELINE_KEY}); video and '
                             'frame inference preprocess frames with its image steps')
        # decided on the class: a target step is not built (its codec may not be filled)
        return cls([TRANSFORMS.build(c) for c in pipeline if is_image_step(
            c['type'] if isinstance(c['type'], type) else TRANSFORMS.get(c['type']))])

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Preprocess one frame.

        Args:
            frame: ``(H0, W0, 3)`` uint8 RGB.

        Returns:
            The ``(H, W, 3)`` uint8 input and the ``(3, 3)`` float64 affine from frame to
            input pixels.
        """
        results = self._results(frame)
        for step in self.steps:
            results = step(results)
        return results['img'], results['input_from_frame']

    def batch(self, frames: Iterable[np.ndarray]) -> tuple[Tensor, Tensor]:
        """Preprocess frames (sizes may differ) into one batch.

        Args:
            frames: ``(H0, W0, 3)`` uint8 RGB frames, at least one.

        Returns:
            ``(B, 3, H, W)`` uint8 inputs and ``(B, 3, 3)`` float64 affines.
        """
        images, matrices = zip(*(self(frame) for frame in frames))
        inputs = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
        return inputs, torch.from_numpy(np.stack(matrices))

    @staticmethod
    def _results(frame: np.ndarray) -> dict:
        """A decoded frame as ``LoadFrame`` leaves a sample, without labels."""
        shape = frame.shape[:2]
        return dict(img=frame, ori_shape=shape, img_shape=shape,
                    keypoints=np.zeros((0, 2), np.float32), input_from_frame=np.eye(3))

    def _probe(self) -> tuple[int, int]:
        """The ``(W, H)`` the steps give blank frames of :data:`PROBE_SIZES`."""
        sizes = set()
        for width, height in PROBE_SIZES:
            results = self._results(np.zeros((height, width, 3), np.uint8))
            for step in self.steps:
                try:
                    results = step(results)
                except (KeyError, ValueError, TypeError) as error:
                    raise ValueError(f'{PIPELINE_KEY}: {type(step).__name__} cannot run on a '
                                     f'decoded frame at inference: {error!r}') from None
            img = results['img']
            sizes.add((img.shape[1], img.shape[0]) if img.ndim == 3 else None)
        if len(sizes) != 1 or None in sizes:
            names = ', '.join(type(step).__name__ for step in self.steps) or 'none'
            raise ValueError(
                f"the config's test pipeline ({PIPELINE_KEY}) has no geometric step giving "
                f"every frame the model's input size (its image steps: {names}); video and "
                "frame inference preprocess frames with it, add e.g. "
                "dict(type='Resize', input_size=(256, 256))")
        return sizes.pop()
