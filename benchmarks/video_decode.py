"""Decode speed of the video backends (decord, PyAV), one decoding thread each.

For every video and backend, interleaved (so that other processes on the machine slow both
alike) and repeated, the median frames per second of:

- ``sequential``: open the video and decode every frame in batches of 16 (``read_frames``),
  as ``predict_video`` does;
- ``clips``: 30 clips of 8 consecutive frames at random starts, in random order, through one
  reader (seek, then decode forward), as ``VideoClipDataset`` does.

Run with ``OMP_NUM_THREADS=1``::

    OMP_NUM_THREADS=1 python benchmarks/video_decode.py data/toy/videos_test/session3.mp4 \\
        data/mirror-mouse-example/videos/test_vid.mp4
"""
import argparse
import os
import statistics
import time

import numpy as np

from posekit.datasets import video_io
from posekit.datasets.video_io import open_video, read_frames


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('videos', nargs='+')
    parser.add_argument('--repeats', type=int, default=5, help='the median is reported')
    return parser.parse_args()


def sequential(path: str) -> int:
    """Decode all of ``path`` in batches of 16; the number of frames."""
    reader = open_video(path)
    for start in range(0, len(reader), 16):
        read_frames(reader, range(start, min(start + 16, len(reader))))
    return len(reader)


def clips(path: str, count: int = 30, length: int = 8) -> int:
    """Decode ``count`` random clips of ``length`` frames; the number of frames."""
    reader = open_video(path)
    starts = np.random.default_rng(0).integers(0, len(reader) - length, count)
    for start in starts:
        read_frames(reader, range(start, start + length))
    return count * length


def main() -> None:
    args = parse_args()
    backends = [b for b in video_io.BACKENDS if b == 'pyav' or video_io.video_decord]
    print(f'| video | frames | pattern | {" | ".join(backends)} | pyav / decord |')
    print(f'|---|---|---|{"---|" * len(backends)}---|')
    for path in args.videos:
        fps = {(b, p): [] for b in backends for p in ('sequential', 'clips')}
        for _ in range(args.repeats):
            for backend in backends:
                os.environ[video_io.BACKEND_ENV] = backend
                for name, pattern in (('sequential', sequential), ('clips', clips)):
                    start = time.perf_counter()
                    frames = pattern(path)
                    fps[backend, name].append(frames / (time.perf_counter() - start))
        for name in ('sequential', 'clips'):
            medians = [statistics.median(fps[b, name]) for b in backends]
            ratio = f'{medians[1] / medians[0]:.2f}' if len(medians) == 2 else '-'
            print(f'| {os.path.basename(path)} | {video_io.video_info(path).num_frames} | '
                  f'{name} | {" | ".join(f"{m:.0f}" for m in medians)} | {ratio} |')


if __name__ == '__main__':
    main()
