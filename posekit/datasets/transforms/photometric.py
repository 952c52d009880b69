"""Photometric transforms: they change pixel values only, never the geometry or keypoints.

On a frame stack ``(F, H, W, 3)`` (context models) every frame gets the same random draw.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS
from .frames import map_frames
from .geometric import _check_prob


def brightness_contrast_table(alpha: float, beta: float) -> np.ndarray:
    """Lookup table of the intensity change ``v * alpha + beta``, rounded and clipped.

    Args:
        alpha (float): Contrast factor.
        beta (float): Brightness offset in 0-255 units.

    Returns:
        np.ndarray: ``(256,)`` uint8 table; ``table[img]`` (or ``cv2.LUT``) applies it.
    """
    return np.clip(np.rint(np.arange(256) * alpha + beta), 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class MotionBlur(BaseTransform):
    """Blur with a straight-line kernel of random odd length and random direction.

    Args:
        kernel_size (int | tuple[int, int]): Inclusive ``(low, high)`` range of the kernel
            length; only odd lengths are drawn, uniformly. An int is fixed. Must contain an
            odd value of at least 3. Defaults to (3, 7).
        prob (float): Probability of applying the blur. Defaults to 0.5.
    """

    def __init__(self, kernel_size: int | tuple[int, int] = (3, 7), prob: float = 0.5) -> None:
        low, high = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        self.sizes = np.arange(max(low, 3) | 1, high + 1, 2)
        if len(self.sizes) == 0:
            raise ValueError(f'kernel_size {kernel_size} contains no odd length >= 3')
        self.kernel_size = (int(low), int(high))
        self.prob = _check_prob(prob)

    @staticmethod
    def kernel(size: int, angle: float) -> np.ndarray:
        """A line kernel through the centre of a ``size x size`` grid, summing to 1.

        Args:
            size (int): Odd kernel side (the line's length in pixels).
            angle (float): Line direction in degrees.

        Returns:
            np.ndarray: ``(size, size)`` float32 kernel.
        """
        line = np.zeros((size, size), np.float32)
        line[size // 2] = 1.
        centre = (size - 1) / 2
        rotation = cv2.getRotationMatrix2D((centre, centre), angle, 1.)
        kernel = cv2.warpAffine(line, rotation, (size, size), flags=cv2.INTER_LINEAR)
        return kernel / kernel.sum()

    def transform(self, results: dict) -> dict:
        """With probability ``prob``, blur ``results['img']`` (a new array).

        Args:
            results (dict): Holds ``img``, ``(H, W, 3)`` or ``(F, H, W, 3)`` uint8.

        Returns:
            dict: ``results`` with the blurred ``img``.
        """
        if np.random.rand() >= self.prob:
            return results
        size = int(self.sizes[np.random.randint(len(self.sizes))])
        kernel = self.kernel(size, np.random.uniform(0., 180.))
        results['img'] = map_frames(
            lambda frame: cv2.filter2D(frame, -1, kernel, borderType=cv2.BORDER_REFLECT_101),
            results['img'])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(kernel_size={self.kernel_size}, prob={self.prob})'


@TRANSFORMS.register_module()
class BrightnessContrast(BaseTransform):
    """Random linear intensity change ``img * alpha + beta``, rounded and clipped to uint8.

    Args:
        brightness (float): ``beta`` is drawn from ``[-brightness, brightness] * 255``.
            Defaults to 0.2.
        contrast (float): ``alpha`` is drawn from ``[1 - contrast, 1 + contrast]``.
            Defaults to 0.2.
        prob (float): Probability of applying the change. Defaults to 0.5.
    """

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2, prob: float = 0.5
                 ) -> None:
        if brightness < 0 or not 0 <= contrast <= 1:
            raise ValueError(f'need brightness >= 0 and 0 <= contrast <= 1, got {brightness}, '
                             f'{contrast}')
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.prob = _check_prob(prob)

    def transform(self, results: dict) -> dict:
        """With probability ``prob``, rescale the intensities of ``results['img']``.

        Args:
            results (dict): Holds ``img``, ``(H, W, 3)`` or ``(F, H, W, 3)`` uint8.

        Returns:
            dict: ``results`` with a new ``img`` array.
        """
        if np.random.rand() >= self.prob:
            return results
        alpha = np.random.uniform(1. - self.contrast, 1. + self.contrast)
        beta = np.random.uniform(-self.brightness, self.brightness) * 255.
        table = brightness_contrast_table(alpha, beta)
        results['img'] = map_frames(lambda frame: cv2.LUT(frame, table), results['img'])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, prob={self.prob})')
