"""Geometric transforms that move the image, its keypoints and ``input_from_frame`` together.

Conventions (shared with ``cv2.warpAffine`` and ``cv2.resize``): pixel centres sit at integer
coordinates, so pixel column ``i`` covers ``x`` in ``[i - 0.5, i + 0.5]`` and an image of
width ``W`` spans ``[-0.5, W - 0.5]``. Each transform left-multiplies its 3x3 matrix into
``results['input_from_frame']``; keypoints that land outside the new image become NaN. A
frame stack ``(F, H, W, 3)`` (context models, unlabeled clips) gets the same random draw on
every frame. A sample without ``keypoints`` (an unlabeled clip) moves only its image and
``input_from_frame``.
"""
from collections.abc import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from posekit.registry import TRANSFORMS
from .frames import frame_size, map_frames

Range = float | tuple[float, float]


def _as_range(value: Range, name: str, symmetric: bool) -> tuple[float, float]:
    """Turn a scalar or a ``(low, high)`` pair into a checked ``(low, high)`` tuple.

    Args:
        value (float | tuple[float, float]): A scalar or a ``(low, high)`` pair.
        name (str): Argument name for error messages.
        symmetric (bool): Whether a scalar ``v`` means ``(-v, v)``; otherwise ``(v, v)``.

    Returns:
        tuple[float, float]: ``(low, high)`` with ``low <= high``.
    """
    if np.isscalar(value):
        low, high = (-abs(value), abs(value)) if symmetric else (value, value)
    else:
        low, high = value
    if low > high:
        raise ValueError(f'{name} range must be (low, high) with low <= high, got {value}')
    return float(low), float(high)


def _check_prob(prob: float) -> float:
    """Return ``prob`` as a float, checked to lie in ``[0, 1]``."""
    if not 0. <= prob <= 1.:
        raise ValueError(f'prob must be in [0, 1], got {prob}')
    return float(prob)


def update_geometry(results: dict, matrix: np.ndarray, img: np.ndarray) -> dict:
    """Store the new image, move keypoints by ``matrix`` and compose ``input_from_frame``.

    Args:
        results (dict): The sample; ``keypoints`` (if present: unlabeled clips have none) and
            ``input_from_frame`` are updated.
        matrix (np.ndarray): ``(3, 3)`` affine from the previous image to ``img``.
        img (np.ndarray): The transformed ``(H, W, 3)`` image or ``(F, H, W, 3)`` stack.

    Returns:
        dict: ``results``, with keypoints outside ``img`` set to NaN.
    """
    height, width = frame_size(img)
    if 'keypoints' in results:
        keypoints = results['keypoints'].astype(np.float64) @ matrix[:2, :2].T + matrix[:2, 2]
        outside = ((keypoints < -0.5) | (keypoints > [width - 0.5, height - 0.5])).any(axis=1)
        keypoints[outside] = np.nan
        results['keypoints'] = keypoints.astype(np.float32)
    results['img'] = img
    results['img_shape'] = (height, width)
    results['input_from_frame'] = matrix @ results['input_from_frame']
    return results


def warp_image(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warp an image by an affine into an image of the same size, zero outside.

    Args:
        img (np.ndarray): ``(H, W, C)`` or ``(H, W)`` image.
        matrix (np.ndarray): ``(3, 3)`` affine from ``img`` pixels to output pixels.

    Returns:
        np.ndarray: The warped image, same shape and dtype (bilinear, constant 0 border).
    """
    height, width = img.shape[:2]
    return cv2.warpAffine(img, matrix[:2], (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def resize_image(img: np.ndarray, input_size: tuple[int, int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Resize an image to exactly ``input_size`` and return the matching affine.

    A coordinate maps as ``x -> (x + 0.5) * W1 / W0 - 0.5`` (likewise ``y``). Shrinking uses
    ``cv2.INTER_AREA``, enlarging ``cv2.INTER_LINEAR`` (area if either axis shrinks).

    Args:
        img (np.ndarray): ``(H0, W0, C)`` or ``(H0, W0)`` image.
        input_size (tuple[int, int]): Output ``(W1, H1)``.

    Returns:
        tuple[np.ndarray, np.ndarray]: The ``(H1, W1, ...)`` image and the ``(3, 3)`` float64
        affine from ``img`` pixels to resized pixels.
    """
    height0, width0 = img.shape[:2]
    width1, height1 = input_size
    shrink = width1 < width0 or height1 < height0
    resized = cv2.resize(img, (width1, height1),
                         interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return resized, resize_matrix((width0, height0), input_size)


def resize_matrix(src_size: tuple[int, int], dst_size: tuple[int, int]) -> np.ndarray:
    """The ``(3, 3)`` float64 affine of resizing a ``src_size`` image to ``dst_size``.

    Args:
        src_size (tuple[int, int]): ``(W0, H0)``.
        dst_size (tuple[int, int]): ``(W1, H1)``.

    Returns:
        np.ndarray: Maps ``x -> (x + 0.5) * W1 / W0 - 0.5`` (likewise ``y``).
    """
    sx, sy = dst_size[0] / src_size[0], dst_size[1] / src_size[1]
    return np.array([[sx, 0., 0.5 * sx - 0.5], [0., sy, 0.5 * sy - 0.5], [0., 0., 1.]])


def _warp(results: dict, matrix: np.ndarray) -> dict:
    """Warp ``results['img']`` (every frame of a stack alike) by ``matrix``, keeping its size."""
    img = map_frames(lambda frame: warp_image(frame, matrix), results['img'])
    return update_geometry(results, matrix, img)


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize the whole image to exactly ``input_size``, ignoring the aspect ratio.

    A coordinate maps as ``x -> (x + 0.5) * W1 / W0 - 0.5`` (likewise ``y``). Shrinking uses
    ``cv2.INTER_AREA``, enlarging ``cv2.INTER_LINEAR`` (chosen per axis pair: area if either
    axis shrinks).

    Args:
        input_size (tuple[int, int]): Output ``(W, H)``.
    """

    def __init__(self, input_size: tuple[int, int]) -> None:
        width, height = input_size
        if width <= 0 or height <= 0:
            raise ValueError(f'input_size must be positive (W, H), got {input_size}')
        self.input_size = (int(width), int(height))

    def transform(self, results: dict) -> dict:
        """Resize ``img`` and map ``keypoints`` and ``input_from_frame``.

        Args:
            results (dict): Holds ``img``, ``input_from_frame`` and ``keypoints`` (absent
                in unlabeled clips).

        Returns:
            dict: ``results`` at the new size.
        """
        height, width = frame_size(results['img'])
        resized = map_frames(self.resize_frame, results['img'])
        return update_geometry(results, self.frame_matrix((width, height)), resized)

    def resize_frame(self, frame: np.ndarray) -> np.ndarray:
        """One ``(H0, W0, ...)`` frame brought to ``input_size`` (``(H1, W1, ...)``)."""
        return resize_image(frame, self.input_size)[0]

    def frame_matrix(self, size: tuple[int, int]) -> np.ndarray:
        """The ``(3, 3)`` affine from a ``(W0, H0)`` frame to :meth:`resize_frame`'s pixels."""
        return resize_matrix(size, self.input_size)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(input_size={self.input_size})'


@TRANSFORMS.register_module()
class RandomAffine(BaseTransform):
    """Random rotation and scaling about the image centre, then an optional translation.

    The point ``c = ((W - 1) / 2, (H - 1) / 2)`` is fixed by rotation and scaling. A positive
    angle turns the image counter-clockwise as displayed (y pointing down; the same sign as
    ``cv2.getRotationMatrix2D``): on a square ``W x W`` image, ``+90`` degrees maps pixel
    ``(x, y)`` to ``(y, W - 1 - x)``, e.g. the top-right corner to the top-left.
    A scale above 1 zooms in. Each range is a scalar or a ``(low, high)`` pair, so a fixed
    value is ``(v, v)``.

    Args:
        rotation (float | tuple[float, float]): Degrees; a scalar ``r`` means ``(-r, r)``.
            Defaults to 25.
        scale (float | tuple[float, float]): Scale factor range; a scalar is fixed.
            Defaults to (0.8, 1.2).
        translate (float | tuple[float, float]): Shift as a fraction of ``(W, H)``, drawn
            independently for x and y; a scalar ``t`` means ``(-t, t)``. Defaults to 0.
        prob (float): Probability of applying the transform. Defaults to 1.
    """

    def __init__(self, rotation: Range = 25., scale: Range = (0.8, 1.2), translate: Range = 0.,
                 prob: float = 1.0) -> None:
        self.rotation = _as_range(rotation, 'rotation', symmetric=True)
        self.scale = _as_range(scale, 'scale', symmetric=False)
        if self.scale[0] <= 0:
            raise ValueError(f'scale must be positive, got {scale}')
        self.translate = _as_range(translate, 'translate', symmetric=True)
        self.prob = _check_prob(prob)

    @staticmethod
    def matrix(angle: float, scale: float, shift: tuple[float, float],
               size: tuple[int, int]) -> np.ndarray:
        """The ``(3, 3)`` affine of this transform for fixed parameters.

        Args:
            angle (float): Rotation in degrees, counter-clockwise as displayed.
            scale (float): Scale factor about the centre.
            shift (tuple[float, float]): Translation ``(tx, ty)`` in pixels, applied last.
            size (tuple[int, int]): Image ``(W, H)``.

        Returns:
            np.ndarray: ``(3, 3)`` float64 matrix mapping input to output pixels.
        """
        theta = np.deg2rad(angle)
        cos, sin = scale * np.cos(theta), scale * np.sin(theta)
        cx, cy = (size[0] - 1) / 2, (size[1] - 1) / 2
        return np.array([[cos, sin, cx - cos * cx - sin * cy + shift[0]],
                         [-sin, cos, cy + sin * cx - cos * cy + shift[1]],
                         [0., 0., 1.]])

    def transform(self, results: dict) -> dict:
        """With probability ``prob``, warp ``img``, ``keypoints`` and ``input_from_frame``.

        Args:
            results (dict): Holds ``img``, ``input_from_frame`` and ``keypoints`` (absent
                in unlabeled clips).

        Returns:
            dict: ``results``, unchanged if the transform was not applied.
        """
        if np.random.rand() >= self.prob:
            return results
        height, width = frame_size(results['img'])
        angle = np.random.uniform(*self.rotation)
        scale = np.random.uniform(*self.scale)
        shift = (np.random.uniform(*self.translate) * width,
                 np.random.uniform(*self.translate) * height)
        return _warp(results, self.matrix(angle, scale, shift, (width, height)))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(rotation={self.rotation}, scale={self.scale}, '
                f'translate={self.translate}, prob={self.prob})')


@TRANSFORMS.register_module()
class RandomCropPad(BaseTransform):
    """Crop or pad each side by a random fraction, then resize back (imgaug's CropAndPad).

    Each of the four sides draws its own fraction from ``percent`` (relative to the width for
    left/right, the height for top/bottom): negative crops, positive pads with zeros. The
    resulting region is resized back to ``W x H`` — done as a single scale + translate warp, so
    the fractions are not rounded to whole pixels.

    Args:
        percent (float | tuple[float, float]): ``(low, high)`` fraction per side; a scalar is
            fixed. Both must exceed -0.5 so the crop never removes the whole image.
            Defaults to (-0.15, 0.15).
        prob (float): Probability of applying the transform. Defaults to 0.5.
    """

    def __init__(self, percent: Range = (-0.15, 0.15), prob: float = 0.5) -> None:
        self.percent = _as_range(percent, 'percent', symmetric=False)
        if self.percent[0] <= -0.5:
            raise ValueError(f'percent must be > -0.5 on each side, got {percent}')
        self.prob = _check_prob(prob)

    @staticmethod
    def matrix(sides: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
        """The ``(3, 3)`` affine for fixed side fractions.

        Args:
            sides (tuple[float, float, float, float]): ``(left, top, right, bottom)``
                fractions, positive pads and negative crops.
            size (tuple[int, int]): Image ``(W, H)``.

        Returns:
            np.ndarray: ``(3, 3)`` float64 matrix mapping input to output pixels.
        """
        left, top, right, bottom = sides
        width, height = size
        sx, sy = 1. / (1. + left + right), 1. / (1. + top + bottom)
        # The kept region's outer edge -0.5 - left * W must land on the output edge -0.5.
        return np.array([[sx, 0., sx * (0.5 + left * width) - 0.5],
                         [0., sy, sy * (0.5 + top * height) - 0.5],
                         [0., 0., 1.]])

    def transform(self, results: dict) -> dict:
        """With probability ``prob``, crop/pad and resize ``img`` and update the geometry.

        Args:
            results (dict): Holds ``img``, ``input_from_frame`` and ``keypoints`` (absent
                in unlabeled clips).

        Returns:
            dict: ``results``, unchanged if the transform was not applied.
        """
        if np.random.rand() >= self.prob:
            return results
        height, width = frame_size(results['img'])
        sides = tuple(np.random.uniform(*self.percent, size=4))
        return _warp(results, self.matrix(sides, (width, height)))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(percent={self.percent}, prob={self.prob})'


@TRANSFORMS.register_module()
class HorizontalFlip(BaseTransform):
    """Mirror the image (``x -> W - 1 - x``) and swap left/right keypoints.

    After a flip, row ``i`` of ``keypoints`` holds the mirrored label of original keypoint
    ``results['flip_indices'][i]``. To bring a prediction ``pred`` made on the flipped image
    back to the label order: ``out = np.empty_like(pred); out[flip_indices] = pred`` (the
    frame position then follows from the inverse of ``input_from_frame``). ``flip_indices``
    is set to the identity when no flip happens and composes over repeated flips.

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        flip_pairs (Sequence): Pairs of keypoints to swap, either indices ``(i, j)`` or names
            ``('paw_l', 'paw_r')`` resolved through ``results['keypoint_names']``.
            Defaults to ().
    """

    def __init__(self, prob: float = 0.5, flip_pairs: Sequence[Sequence[int | str]] = ()
                 ) -> None:
        self.prob = _check_prob(prob)
        self.flip_pairs = [tuple(pair) for pair in flip_pairs]
        for pair in self.flip_pairs:
            if len(pair) != 2:
                raise ValueError(f'flip_pairs must hold pairs, got {pair}')

    def permutation(self, num_keypoints: int, names: Sequence[str] | None = None) -> np.ndarray:
        """The row permutation ``perm`` with ``new[i] = old[perm[i]]``.

        Args:
            num_keypoints (int): ``K``.
            names (Sequence[str] | None): Keypoint names, needed for name pairs.

        Returns:
            np.ndarray: ``(K,)`` int64 permutation.

        Raises:
            KeyError: A name pair is given and a name is unknown (or no names are given).
            ValueError: An index is out of range or a keypoint appears in two pairs.
        """
        index = {name: i for i, name in enumerate(() if names is None else names)}
        perm = np.arange(num_keypoints)
        seen = set()
        for pair in self.flip_pairs:
            i, j = (self._resolve(p, index) for p in pair)
            if not (0 <= i < num_keypoints and 0 <= j < num_keypoints):
                raise ValueError(f'flip pair {pair} out of range for {num_keypoints} keypoints')
            if {i, j} & seen:
                raise ValueError(f'flip pair {pair} reuses a keypoint of another pair')
            seen |= {i, j}
            perm[i], perm[j] = j, i
        return perm

    @staticmethod
    def _resolve(key: int | str, index: dict[str, int]) -> int:
        if isinstance(key, str):
            if key not in index:
                raise KeyError(f'flip pair keypoint {key!r} is not in keypoint_names '
                               f'{list(index)}')
            return index[key]
        return int(key)

    def transform(self, results: dict) -> dict:
        """With probability ``prob``, flip ``img`` and update keypoints and bookkeeping.

        A sample without ``keypoints`` (an unlabeled clip) is flipped without
        ``flip_indices``, which needs ``flip_pairs=()``: such a sample could not carry the
        left/right swap that a prediction on the flipped image needs undone.

        Args:
            results (dict): Holds ``img``, ``keypoints`` and ``input_from_frame``, and
                ``keypoint_names`` if ``flip_pairs`` uses names.

        Returns:
            dict: ``results`` with ``flip_indices`` set (if it has keypoints).

        Raises:
            ValueError: ``results`` has no keypoints and ``flip_pairs`` is not empty.
        """
        if 'keypoints' not in results:
            if self.flip_pairs:
                raise ValueError(f'HorizontalFlip(flip_pairs={self.flip_pairs}) needs '
                                 'keypoints: a sample without them (an unlabeled clip) cannot '
                                 'carry the left/right swap; use flip_pairs=() or no flip')
            if np.random.rand() < self.prob:
                self._mirror(results)
            return results
        num_keypoints = len(results['keypoints'])
        flip_indices = np.asarray(results.get('flip_indices', np.arange(num_keypoints)))
        perm = self.permutation(num_keypoints, results.get('keypoint_names'))
        if np.random.rand() >= self.prob:
            results['flip_indices'] = flip_indices
            return results
        self._mirror(results)
        results['keypoints'] = results['keypoints'][perm]
        results['flip_indices'] = flip_indices[perm]
        return results

    @staticmethod
    def _mirror(results: dict) -> None:
        """Mirror ``img`` (every frame of a stack) and map keypoints and ``input_from_frame``."""
        width = frame_size(results['img'])[1]
        matrix = np.array([[-1., 0., width - 1.], [0., 1., 0.], [0., 0., 1.]])
        mirrored = map_frames(lambda frame: np.ascontiguousarray(frame[:, ::-1]), results['img'])
        update_geometry(results, matrix, mirrored)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, flip_pairs={self.flip_pairs})'
