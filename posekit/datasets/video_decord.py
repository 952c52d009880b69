"""The decord video backend (Linux x86-64 and Windows amd64, where decord has wheels).

Importing this module raises ImportError where decord is not installed;
:mod:`posekit.datasets.video_io` then uses the PyAV backend.
"""
from collections.abc import Sequence

# cv2 must be imported before decord: decord bundles an old zlib, and once it is loaded first
# every later cv2.imread of a PNG fails with "libpng error: bad parameters to zlib".
import cv2  # noqa: F401  (import order matters, see above)
import decord
import numpy as np


class DecordReader:
    """A decord ``VideoReader`` on the CPU with one decoding thread.

    Args:
        path: Video file (must exist).

    Raises:
        One of :attr:`ERRORS`: decord cannot open the file.
    """

    #: Exceptions decord raises for a file it cannot open or a frame it cannot decode.
    ERRORS = (decord.DECORDError, RuntimeError, AssertionError, IndexError)

    def __init__(self, path: str) -> None:
        self.path = path
        self._reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)

    def __len__(self) -> int:
        return len(self._reader)

    @property
    def fps(self) -> float:
        """Average frame rate."""
        return float(self._reader.get_avg_fps())

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        """Decode frames by index.

        Args:
            indices: ``(T,)`` frame indices in ``[0, len(self))``.

        Returns:
            ``(T, H, W, 3)`` uint8 RGB frames.
        """
        return self._reader.get_batch(list(indices)).asnumpy()
