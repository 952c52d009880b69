"""Unlabeled clips of consecutive video frames, for the semi-supervised losses."""
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.registry import FUNCTIONS
from torch.utils.data import Dataset

from posekit.registry import DATASETS
from .transforms.geometric import RandomAffine, resize_image, warp_image
from .transforms.photometric import BrightnessContrast, brightness_contrast_table
from .video_io import (VideoInfo, VideoReadError, VideoReaderCache, list_videos, read_frames,
                       video_info)

#: Keys accepted in ``VideoClipDataset(augment=...)``.
AUGMENT_KEYS = ('rotation', 'scale', 'brightness', 'contrast')


@FUNCTIONS.register_module()
def clip_collate(batch: Sequence[dict]) -> dict:
    """Collate a batch of clips.

    One clip passes through unchanged (``inputs (T, 3, H, W)``); several clips of equal
    length are stacked: ``inputs (B, T, 3, H, W)``, ``input_from_frame (B, T, 3, 3)``,
    ``frame_indices (B, T)`` and ``video`` a list of B paths.

    Args:
        batch: ``VideoClipDataset`` items.

    Returns:
        The clip, or the stacked clips.

    Raises:
        ValueError: The batch is empty, or its clips differ in length.
    """
    if not batch:
        raise ValueError('clip_collate got an empty batch')
    if len(batch) == 1:
        return batch[0]
    lengths = sorted({len(item['inputs']) for item in batch})
    if len(lengths) > 1:
        raise ValueError(f'clip_collate: clips of one batch must have the same length, got '
                         f'lengths {lengths}')
    samples = [item['data_samples'] for item in batch]
    return dict(
        inputs=torch.stack([item['inputs'] for item in batch]),
        data_samples=dict(
            input_from_frame=torch.stack([s['input_from_frame'] for s in samples]),
            video=[s['video'] for s in samples],
            frame_indices=torch.stack([s['frame_indices'] for s in samples])))


@DATASETS.register_module()
class VideoClipDataset(Dataset):
    """Random clips of ``clip_length`` consecutive frames from a set of videos.

    Item ``i`` of epoch ``e`` is drawn from ``np.random.default_rng((seed, i, e))``: a start
    position uniform over every valid clip start of every video (so a video is picked with
    weight ``num_frames - clip_length + 1``), then, if ``augment`` is given, one affine and
    one brightness/contrast change shared by all frames of the clip. The same
    ``(seed, i, epoch)`` always gives the same clip, whatever the worker or sampler.

    Frames are resized to ``input_size`` (``cv2.INTER_AREA`` when shrinking), then warped by
    the clip's affine (rotation about the image centre and scaling, as
    ``transforms.RandomAffine``; zero outside). ``input_from_frame`` maps original frame
    pixels to input pixels, so predictions on the clip map back to frame pixels with its
    inverse.

    Only metadata is read at construction and no reader stays open; each process (e.g. each
    DataLoader worker) opens its own readers on first use (``docs/contracts.md``, "Video
    decoding").

    Each item is ``dict(inputs, data_samples)``:

    - ``inputs``: ``(T, 3, H, W)`` ``torch.uint8`` RGB;
    - ``data_samples``: ``input_from_frame`` float32 ``(T, 3, 3)`` (the same matrix for every
      frame), ``video`` (str, the file) and ``frame_indices`` int64 ``(T,)``.

    Use it with ``collate_fn=clip_collate``: ``batch_size=1`` gives one clip per step,
    ``batch_size=B`` B clips (``(B, T, 3, H, W)``), each a separate sequence for the losses.

    Args:
        videos: Video folder(s), glob(s) or file(s), as ``video_io.list_videos`` accepts.
        input_size: Model input ``(W, H)``.
        data_root: Folder relative entries of ``videos`` are resolved against.
        clip_length: Frames per clip ``T``.
        clips_per_epoch: Dataset length; defaults to total frames // ``clip_length``.
        seed: Seed of the clip draws.
        augment: ``dict(rotation, scale, brightness, contrast)`` with the meaning (and range
            syntax) of ``RandomAffine`` and ``BrightnessContrast``, or None; an omitted key
            leaves that property unchanged. E.g. ``dict(rotation=25., scale=(0.8, 1.2),
            brightness=0.2, contrast=0.2)``.
        test_mode: Fixed clips: ignore ``augment`` and the epoch.

    Raises:
        FileNotFoundError: A video is missing (or a folder / glob holds none).
        VideoReadError: A video cannot be opened or decoded.
        ValueError: A video is shorter than ``clip_length``, or an argument is invalid.
    """

    def __init__(self, videos: Union[str, Sequence[str]], input_size: tuple[int, int],
                 data_root: str = '', clip_length: int = 16,
                 clips_per_epoch: Optional[int] = None, seed: int = 0,
                 augment: Optional[dict] = None, test_mode: bool = False) -> None:
        if clip_length < 1:
            raise ValueError(f'clip_length must be at least 1, got {clip_length}')
        width, height = input_size
        if width <= 0 or height <= 0:
            raise ValueError(f'input_size must be positive (W, H), got {input_size}')
        self.input_size = (int(width), int(height))
        self.clip_length = int(clip_length)
        self.seed = int(seed)
        self.test_mode = test_mode
        self.videos = list_videos(videos, data_root)
        self.infos = [self._checked_info(path) for path in self.videos]
        starts = [info.num_frames - self.clip_length + 1 for info in self.infos]
        #: ``start_offsets[v]`` is the global index of video ``v``'s first clip start.
        self.start_offsets = np.concatenate([[0], np.cumsum(starts)])
        total = sum(info.num_frames for info in self.infos) // self.clip_length
        self.clips_per_epoch = total if clips_per_epoch is None else int(clips_per_epoch)
        if self.clips_per_epoch < 1:
            raise ValueError(f'clips_per_epoch must be at least 1, got {self.clips_per_epoch}')
        self.affine, self.photometric = self._build_augment(augment)
        # Shared memory, so set_epoch reaches DataLoader workers that are already running.
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._readers = VideoReaderCache()

    def _checked_info(self, path: str) -> VideoInfo:
        """Metadata of ``path``, checked to hold at least one clip."""
        info = video_info(path)
        if info.num_frames < self.clip_length:
            raise ValueError(f'video {path!r} has {info.num_frames} frames, fewer than '
                             f'clip_length={self.clip_length}')
        return info

    def _build_augment(self, augment: Optional[dict]
                       ) -> tuple[Optional[RandomAffine], Optional[BrightnessContrast]]:
        """Validated augmentation ranges, held by the transforms that define them."""
        if augment is None or self.test_mode:
            return None, None
        unknown = sorted(set(augment) - set(AUGMENT_KEYS))
        if unknown:
            raise ValueError(f'VideoClipDataset: unknown augment key(s) {unknown}; '
                             f'expected some of {AUGMENT_KEYS}')
        affine = RandomAffine(rotation=augment.get('rotation', 0.),
                              scale=augment.get('scale', 1.))
        photometric = BrightnessContrast(brightness=augment.get('brightness', 0.),
                                         contrast=augment.get('contrast', 0.))
        return affine, photometric

    @property
    def epoch(self) -> int:
        """The epoch clips are drawn for."""
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Draw the clips of ``epoch`` from now on (also in running DataLoader workers)."""
        self._epoch.fill_(int(epoch))

    def __len__(self) -> int:
        return self.clips_per_epoch

    def __getitem__(self, index: int) -> dict:
        """Clip ``index`` of the current epoch; see the class docstring for its contents."""
        if not 0 <= index < len(self):
            raise IndexError(f'clip index {index} out of range for {len(self)} clips')
        rng = np.random.default_rng((self.seed, int(index), 0 if self.test_mode else self.epoch))
        video, start = self._draw_start(rng)
        path = self.videos[video]
        frame_indices = np.arange(start, start + self.clip_length, dtype=np.int64)
        try:
            frames = read_frames(self._readers.get(path), frame_indices)
        except VideoReadError as error:
            raise VideoReadError(f'{path}: {error}') from error
        frames, input_from_frame = self._resize(frames)
        if self.affine is not None:
            frames, input_from_frame = self._augment(frames, input_from_frame, rng)
        return dict(
            inputs=torch.from_numpy(np.ascontiguousarray(frames.transpose(0, 3, 1, 2))),
            data_samples=dict(
                input_from_frame=torch.from_numpy(np.tile(
                    input_from_frame.astype(np.float32), (self.clip_length, 1, 1))),
                video=path,
                frame_indices=torch.from_numpy(frame_indices)))

    def _draw_start(self, rng: np.random.Generator) -> tuple[int, int]:
        """A ``(video, start frame)`` pair, uniform over all clip starts of all videos."""
        position = int(rng.integers(self.start_offsets[-1]))
        video = int(np.searchsorted(self.start_offsets, position, side='right')) - 1
        return video, position - int(self.start_offsets[video])

    def _resize(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(T, H0, W0, 3)`` frames at ``input_size`` and the ``(3, 3)`` resize affine."""
        resized = [resize_image(frame, self.input_size) for frame in frames]
        return np.stack([img for img, _ in resized]), resized[0][1]

    def _augment(self, frames: np.ndarray, input_from_frame: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Apply one random affine and one brightness/contrast change to every frame.

        Args:
            frames: ``(T, H, W, 3)`` uint8 frames at ``input_size``.
            input_from_frame: ``(3, 3)`` affine from frame to ``frames`` pixels.
            rng: The clip's generator.

        Returns:
            The augmented frames and the composed ``(3, 3)`` ``input_from_frame``.
        """
        angle = rng.uniform(*self.affine.rotation)
        scale = rng.uniform(*self.affine.scale)
        matrix = RandomAffine.matrix(angle, scale, (0., 0.), self.input_size)
        contrast, brightness = self.photometric.contrast, self.photometric.brightness
        table = brightness_contrast_table(rng.uniform(1. - contrast, 1. + contrast),
                                          rng.uniform(-brightness, brightness) * 255.)
        frames = table[np.stack([warp_image(frame, matrix) for frame in frames])]
        return frames, matrix @ input_from_frame
