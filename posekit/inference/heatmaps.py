"""Write a video's heatmaps into one ``.npy`` file, batch by batch, atomically."""
import os
import os.path as osp
from typing import Optional

import numpy as np
from numpy.lib.format import open_memmap
from torch import Tensor


class HeatmapFile:
    """A ``(T, K, h, w)`` float16 ``.npy`` file filled batch by batch through a memory map.

    Batches go into ``<path>.tmp.npy`` (created at the first batch, when ``K, h, w`` are
    known); leaving the ``with`` block renames it to ``path``, or removes it when the block
    raised.

    Args:
        path: The ``.npy`` file.
        num_frames: Frames of the video (``T``).
    """

    def __init__(self, path: str, num_frames: int):
        self.path = path
        self.num_frames = num_frames
        self._tmp = f'{path}.tmp.npy'
        self._maps: Optional[np.memmap] = None

    def write(self, start: int, maps: Tensor) -> None:
        """Store the heatmaps of frames ``start … start + n - 1``.

        Args:
            start: Video index of the first frame.
            maps: ``(n, K, h, w)`` heatmaps.
        """
        if self._maps is None:
            os.makedirs(osp.dirname(osp.abspath(self._tmp)), exist_ok=True)
            self._maps = open_memmap(self._tmp, mode='w+', dtype=np.float16,
                                     shape=(self.num_frames, *maps.shape[1:]))
        self._maps[start:start + len(maps)] = maps.float().cpu().numpy()

    def __enter__(self) -> 'HeatmapFile':
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if exc_type is None and self._maps is not None:
                self._maps.flush()
                self._maps = None
                os.replace(self._tmp, self.path)
        finally:
            self._maps = None
            if osp.exists(self._tmp):
                os.remove(self._tmp)
