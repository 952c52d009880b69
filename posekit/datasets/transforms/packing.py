"""Pack a transformed sample (labeled frame or unlabeled clip) into tensors for the model."""
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS


def _plain(value):
    """Turn numpy scalars and arrays into python values; leave everything else as is."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return value


@TRANSFORMS.register_module()
class PackPoseInputs(BaseTransform):
    """Pack ``results`` into ``dict(inputs, data_samples)``, collatable by ``default_collate``.

    ``inputs`` is the image as a contiguous ``torch.uint8`` tensor ``(3, H, W)``, or a frame
    stack as ``(F, 3, H, W)`` (context models; the labels are the centre frame's).
    ``data_samples`` is a dict with ``keypoints`` (float32 ``(K, 2)``, current-image pixels),
    ``input_from_frame`` (float32 ``(3, 3)``), ``flip_indices`` (int64 ``(K,)``, identity if
    no flip transform ran), the codec's targets listed in ``results['target_keys']`` by
    ``GenerateTarget`` (float32, e.g. ``heatmaps (K, h, w)``) and each of ``meta_keys``
    present in ``results``, as plain python values.

    Args:
        meta_keys (Sequence[str]): Keys copied into ``data_samples`` when present.
            Defaults to ``('img_path', 'image', 'sample_idx', 'set')``.
    """

    #: Pipeline stage: tensors for the model (inference packs its batches itself; see the
    #: package docstring).
    stage: ClassVar[str] = 'pack'

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'image', 'sample_idx', 'set')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Convert ``results`` to tensors.

        Args:
            results (dict): Holds ``img``, ``keypoints`` and ``input_from_frame``; optionally
                ``flip_indices``, ``target_keys`` with the targets they name, and the meta
                keys.

        Returns:
            dict: ``dict(inputs=Tensor, data_samples=dict)``.

        Raises:
            ValueError: ``results`` has no keypoints (pack unlabeled clips with
                ``PackClipInputs``).
        """
        if 'keypoints' not in results:
            raise ValueError('PackPoseInputs needs keypoints; pack a sample without them (an '
                             'unlabeled clip) with PackClipInputs')
        keypoints = results['keypoints']
        flip_indices = results.get('flip_indices', np.arange(len(keypoints)))
        data_samples = dict(
            keypoints=torch.as_tensor(keypoints, dtype=torch.float32),
            input_from_frame=torch.as_tensor(results['input_from_frame'], dtype=torch.float32),
            flip_indices=torch.as_tensor(flip_indices, dtype=torch.int64))
        for key in results.get('target_keys', ()):
            data_samples[key] = torch.as_tensor(results[key], dtype=torch.float32)
        data_samples.update(
            {key: _plain(results[key]) for key in self.meta_keys if key in results})
        inputs = torch.from_numpy(np.ascontiguousarray(np.moveaxis(results['img'], -1, -3)))
        return dict(inputs=inputs, data_samples=data_samples)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'


@TRANSFORMS.register_module()
class PackClipInputs(BaseTransform):
    """Pack an unlabeled clip (``VideoClipDataset``) into ``dict(inputs, data_samples)``.

    ``inputs`` is the frame stack as a contiguous ``torch.uint8`` tensor ``(T, 3, H, W)``;
    ``data_samples`` holds ``input_from_frame`` (float32 ``(T, 3, 3)``, the clip's one affine
    repeated for every frame), ``video`` (str) and ``frame_indices`` (int64 ``(T,)``).
    Collate clips with ``clip_collate``.
    """

    #: Pipeline stage: tensors for the model (see the package docstring).
    stage: ClassVar[str] = 'pack'

    def transform(self, results: dict) -> dict:
        """Convert the clip to tensors.

        Args:
            results (dict): Holds ``img`` ``(T, H, W, 3)`` uint8, ``input_from_frame``
                ``(3, 3)``, ``video`` and ``frame_indices`` ``(T,)``.

        Returns:
            dict: ``dict(inputs=Tensor, data_samples=dict)``.

        Raises:
            ValueError: ``img`` is not a frame stack.
        """
        img = results['img']
        if img.ndim != 4:
            raise ValueError(f'PackClipInputs needs a frame stack (T, H, W, 3), got an image '
                             f'of shape {img.shape}')
        matrix = np.asarray(results['input_from_frame'], dtype=np.float32)
        return dict(
            inputs=torch.from_numpy(np.ascontiguousarray(np.moveaxis(img, -1, -3))),
            data_samples=dict(
                input_from_frame=torch.from_numpy(np.tile(matrix, (len(img), 1, 1))),
                video=results['video'],
                frame_indices=torch.as_tensor(results['frame_indices'], dtype=torch.int64)))
