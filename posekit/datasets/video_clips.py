"""Unlabeled clips of consecutive video frames, for the semi-supervised losses."""
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Optional, Union

import numpy as np
import torch
from mmengine.registry import FUNCTIONS
from torch.utils.data import Dataset

from posekit.registry import DATASETS, TRANSFORMS
from .transforms.packing import PackClipInputs
from .video_io import (VideoInfo, VideoReadError, VideoReaderCache, list_videos, read_frames,
                       video_info)


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


@contextmanager
def seeded_numpy_random(seed: int) -> Iterator[None]:
    """Seed numpy's global random state for the block, then restore the state it had.

    The transforms draw from ``np.random``; seeding it here makes a pipeline call
    reproducible without disturbing any other user of the global state.

    Args:
        seed: Seed in ``[0, 2**32)``.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@DATASETS.register_module()
class VideoClipDataset(Dataset):
    """Random clips of ``clip_length`` consecutive frames from a set of videos.

    Item ``i`` of epoch ``e`` is drawn from ``np.random.default_rng((seed, i, e))``: a start
    position uniform over every valid clip start of every video (so a video is picked with
    weight ``num_frames - clip_length + 1``), then a seed for numpy's global random state,
    which is set to it only while the pipeline runs (and restored after). The same
    ``(seed, i, epoch)`` always gives the same clip, augmentation included, whatever the
    worker or sampler.

    The clip goes through ``pipeline``, the registered transforms of the labeled datasets
    (``Resize``, ``RandomAffine``, ``BrightnessContrast``, ...), as one frame stack: every
    random transform draws once per clip and changes all its frames alike. The pipeline
    starts from ``dict(img (T, H0, W0, 3) uint8 RGB, ori_shape, img_shape, input_from_frame
    (3, 3) identity, video, frame_indices)``, without keypoints, and must end with
    ``PackClipInputs``. ``input_from_frame`` maps original frame pixels to input pixels, so
    predictions on the clip map back to frame pixels with its inverse.

    Only metadata is read at construction and no reader stays open; each process (e.g. each
    DataLoader worker) opens its own readers on first use (``docs/contracts.md``, "Video
    decoding").

    Each item is ``dict(inputs, data_samples)``:

    - ``inputs``: ``(T, 3, H, W)`` ``torch.uint8`` RGB;
    - ``data_samples``: ``input_from_frame`` float32 ``(T, 3, 3)`` (the same matrix for every
      frame), ``video`` (str, the file) and ``frame_indices`` int64 ``(T,)``.

    Use it with ``collate_fn=clip_collate``: ``batch_size=1`` gives one clip per step,
    ``batch_size=B`` B clips (``(B, T, 3, H, W)``), each a separate sequence for the losses;
    the pipeline must then give every clip the same size (e.g. with ``Resize``).

    Args:
        videos: Video folder(s), glob(s) or file(s), as ``video_io.list_videos`` accepts.
        pipeline: Transform configs (or transforms) ending with ``PackClipInputs``, e.g.
            ``[dict(type='Resize', input_size=(128, 128)), dict(type='RandomAffine',
            rotation=10., scale=(0.9, 1.1)), dict(type='PackClipInputs')]``.
        data_root: Folder relative entries of ``videos`` are resolved against.
        clip_length: Frames per clip ``T``.
        clips_per_epoch: Dataset length; defaults to total frames // ``clip_length``.
        seed: Seed of the clip draws.
        test_mode: Fixed clips: ignore the epoch.

    Raises:
        FileNotFoundError: A video is missing (or a folder / glob holds none).
        VideoReadError: A video cannot be opened or decoded.
        ValueError: A video is shorter than ``clip_length``, the pipeline does not end with
            ``PackClipInputs``, or an argument is invalid.
        KeyError: A transform type is not registered.
    """

    def __init__(self, videos: Union[str, Sequence[str]],
                 pipeline: Sequence[Union[dict, Callable[[dict], dict]]],
                 data_root: str = '', clip_length: int = 16,
                 clips_per_epoch: Optional[int] = None, seed: int = 0,
                 test_mode: bool = False) -> None:
        if clip_length < 1:
            raise ValueError(f'clip_length must be at least 1, got {clip_length}')
        self.pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        if not self.pipeline or not isinstance(self.pipeline[-1], PackClipInputs):
            raise ValueError(f'VideoClipDataset: the pipeline must end with '
                             f"dict(type='PackClipInputs'), got {self.pipeline}")
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
        return self._transformed_clip(path, frame_indices, int(rng.integers(2 ** 32)))

    def _transformed_clip(self, path: str, frame_indices: np.ndarray, seed: int) -> dict:
        """Frames ``frame_indices`` of the video ``path`` through the pipeline.

        Args:
            path: The video file.
            frame_indices: ``(T,)`` int64 frame numbers.
            seed: Seeds numpy's global random state for the pipeline's draws.

        Returns:
            The pipeline's output for ``results`` with ``img (T, H, W, 3)``, ``video``,
            ``frame_indices`` and an identity ``input_from_frame``.

        Raises:
            VideoReadError: The frames cannot be decoded (the message names the video).
        """
        try:
            frames = read_frames(self._readers.get(path), frame_indices)
        except VideoReadError as error:
            raise VideoReadError(f'{path}: {error}') from error
        results = dict(img=frames, ori_shape=frames.shape[1:3], img_shape=frames.shape[1:3],
                       input_from_frame=np.eye(3), video=path, frame_indices=frame_indices)
        with seeded_numpy_random(seed):
            for transform in self.pipeline:
                results = transform(results)
        return results

    def _draw_start(self, rng: np.random.Generator) -> tuple[int, int]:
        """A ``(video, start frame)`` pair, uniform over all clip starts of all videos."""
        position = int(rng.integers(self.start_offsets[-1]))
        video = int(np.searchsorted(self.start_offsets, position, side='right')) - 1
        return video, position - int(self.start_offsets[video])
