"""Load a frame from disk and start the coordinate bookkeeping of a sample."""
import os
from typing import ClassVar

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS
from .frames import frame_size


@TRANSFORMS.register_module()
class LoadFrame(BaseTransform):
    """Read ``results['img_path']`` as an RGB ``uint8`` image, or a stack of context frames.

    When ``results`` carries ``context_paths`` (``LabeledFramesDataset(context=c)``: the
    ``2c + 1`` frames ``t - c … t + c``), all of them are read into one stack; the labels
    are the centre frame's.

    Starts the ``results`` contract that every later transform keeps:

    - ``img``: ``(H, W, 3)`` uint8 RGB (greyscale files become 3 identical channels), or
      ``(F, H, W, 3)`` for context frames;
    - ``ori_shape`` / ``img_shape``: ``(H0, W0)`` of the file / ``(H, W)`` of ``img`` now;
    - ``keypoints``: ``(K, 2)`` float32 ``(x, y)`` in current-image pixels, NaN if unlabeled
      (here a float32 copy of the dataset's original-frame labels);
    - ``input_from_frame``: ``(3, 3)`` float64 homogeneous affine from original-frame pixels to
      current-image pixels, here the identity. Pixel centres sit at integer coordinates.

    Args:
        cache (bool): Keep decoded frames in memory, per process, keyed by path, so a small
            labeled set is decoded once per dataloader worker rather than once per epoch. The
            cached array is read-only and every read returns a copy. Defaults to False.
    """

    #: Pipeline stage: reads the sample from disk (inference, which has decoded frames,
    #: skips it; see the package docstring).
    stage: ClassVar[str] = 'load'
    #: Decoded frames keyed by ``(os.getpid(), path)``: forked dataloader workers inherit the
    #: parent's entries but only ever read and write their own.
    _cache: ClassVar[dict[tuple[int, str], np.ndarray]] = {}

    def __init__(self, cache: bool = False) -> None:
        self.cache = cache

    def transform(self, results: dict) -> dict:
        """Load the image(s) and initialise the shapes, keypoints and ``input_from_frame``.

        Args:
            results (dict): Must hold ``img_path`` (str) and ``keypoints`` (``(K, 2)``
                array-like, original-frame pixels); optionally ``context_paths`` (list of
                str, the frames to stack instead of ``img_path`` alone).

        Returns:
            dict: ``results`` with ``img``, ``ori_shape``, ``img_shape``,
            ``input_from_frame`` set and ``keypoints`` as a float32 copy.

        Raises:
            FileNotFoundError: A file is missing or cannot be decoded as an image.
            ValueError: ``keypoints`` is not of shape ``(K, 2)``, or context frames differ
                in size.
        """
        path = results['img_path']
        if results.get('context_paths'):
            img = self._load_stack(results['context_paths'])
        else:
            img = self._load(path)
        keypoints = np.array(results['keypoints'], dtype=np.float32)
        if keypoints.ndim != 2 or keypoints.shape[1] != 2:
            raise ValueError(f'keypoints of {path!r} must have shape (K, 2), '
                             f'got {keypoints.shape}')
        results['img'] = img
        results['ori_shape'] = frame_size(img)
        results['img_shape'] = frame_size(img)
        results['keypoints'] = keypoints
        results['input_from_frame'] = np.eye(3)
        return results

    def _load(self, path: str) -> np.ndarray:
        """One ``(H, W, 3)`` uint8 RGB frame, from the cache when enabled."""
        if not self.cache:
            return self._read(path)
        key = (os.getpid(), path)
        frame = self._cache.get(key)
        if frame is None:
            frame = self._read(path)
            frame.setflags(write=False)
            self._cache[key] = frame
        return frame.copy()

    def _load_stack(self, paths: list[str]) -> np.ndarray:
        """``(F, H, W, 3)`` uint8 RGB stack of the frames at ``paths``."""
        frames = [self._load(path) for path in paths]
        sizes = {frame.shape for frame in frames}
        if len(sizes) > 1:
            raise ValueError(f'context frames {paths} differ in size: {sorted(sizes)}')
        return np.stack(frames)

    @staticmethod
    def _read(path: str) -> np.ndarray:
        """Decode ``path`` to an ``(H, W, 3)`` uint8 RGB array."""
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f'cannot read image {path!r}: missing, unreadable or not '
                                    'an image')
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
