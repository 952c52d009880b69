"""Video inference throughput: ``predict_video`` end to end against the bare model.

For each batch size, measured in the same run and interleaved (so that other processes on the
machine slow both alike):

- ``decode``: the video backend alone (``read_frames`` in batches; decord, or PyAV with
  ``POSEKIT_VIDEO_BACKEND=pyav``), frames per second;
- ``decode+resize``: what the decode thread produces (``VideoInference.decode_batches``);
- ``model``: the bare forward pass (normalisation, backbone, head → heatmaps) on random uint8
  tensors of the same batch and input size, for as many frames as the video has (context
  models: the head runs on the batch's edge-padded windows and decodes keypoints);
- ``model+decode``: the same plus the head's keypoint decoding (soft-argmax, confidences);
- ``end-to-end``: ``predict_video`` (decoding, model, keypoint decoding, frame-pixel
  mapping) plus writing the CSV, with the default ``prefetch`` (decoding in a thread only
  when there are cores to spare, see ``posekit.engine.video_inference``);
- ``thread``, ``inline``: the same with decoding forced into a background thread / into the
  main thread between model calls;
- ``ratio`` = end-to-end / model (target ≥ 0.9 on CPU).

Examples::

    python benchmarks/inference.py --config configs/heatmap.py \\
        --video data/toy/videos_test/session3.mp4
    python benchmarks/inference.py --config configs/mirror_mouse/heatmap.py \\
        --video ../shared/data/mirror-mouse-example/videos/test_vid.mp4 --batch-size 8 16 32

Without ``--checkpoint`` the model is built untrained from the config (the speed is the same).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Optional

import torch
from mmengine.registry import init_default_scope

from posekit.apis import init_model, predict_video, prepare_for_inference
from posekit.apis.config import (fill_num_keypoints, label_keypoint_names, load_config,
                                 prepare_data)
from posekit.datasets.video_io import open_video, read_frames, video_info
from posekit.engine.video_inference import VideoInference, prediction_dataframe
from posekit.registry import MODELS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--checkpoint', help='checkpoint or work dir (default: untrained)')
    parser.add_argument('--video', required=True)
    parser.add_argument('--batch-size', type=int, nargs='+', default=[8, 16, 32])
    parser.add_argument('--repeats', type=int, default=3,
                        help='interleaved repetitions; the median is reported')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def build_model(args: argparse.Namespace) -> torch.nn.Module:
    if args.checkpoint:
        return init_model(args.config, args.checkpoint, args.device)
    init_default_scope('posekit')
    cfg = load_config(args.config)
    prepare_data(cfg)
    fill_num_keypoints(cfg)
    model = MODELS.build(cfg.model)
    prepare_for_inference(model, cfg, dict(keypoint_names=label_keypoint_names(cfg)))
    return model.to(args.device)


def fps(run: Callable[[], object], frames: int) -> float:
    start = time.perf_counter()
    run()
    return frames / (time.perf_counter() - start)


def measure(model: torch.nn.Module, video: str, batch_size: int, frames: int
            ) -> dict[str, float]:
    """One round of every measurement at one batch size (frames per second)."""
    width, height = model.input_size
    inputs = torch.randint(0, 256, (batch_size, 3, height, width), dtype=torch.uint8,
                           device=next(model.parameters()).device)
    calls = -(-frames // batch_size)

    matrix = torch.eye(3, dtype=torch.float64, device=inputs.device).expand(batch_size, 3, 3)

    @torch.inference_mode()
    def forward(decode: bool) -> None:
        for _ in range(calls):
            feats = model.extract_feat(model.data_preprocessor.normalize(inputs))
            if model.num_context:  # windows of the batch's features, keypoints decoded
                model.sequence_outputs(feats, matrix, pad='edge')
            else:
                model.head.predict(feats) if decode else model.head(feats)

    def decode_only() -> None:
        reader = open_video(video)
        for start in range(0, frames, batch_size):
            read_frames(reader, range(start, min(start + batch_size, frames)))

    def decode_resize() -> None:
        for _ in VideoInference(model, batch_size).decode_batches(video, frames):
            pass

    def end_to_end(prefetch: Optional[bool] = None) -> None:
        if prefetch is None:
            df = predict_video(model, video, batch_size, progress=False)
        else:
            run = VideoInference(model, batch_size, prefetch=prefetch).run(video, progress=False)
            df = prediction_dataframe(model, run.keypoints, run.confidences)
        with tempfile.TemporaryDirectory() as tmp:
            df.to_csv(osp.join(tmp, 'preds.csv'))

    forward(True)  # warm-up (allocator, oneDNN kernels)
    return {'decode': fps(decode_only, frames), 'decode+resize': fps(decode_resize, frames),
            'model': fps(lambda: forward(False), calls * batch_size),
            'model+decode': fps(lambda: forward(True), calls * batch_size),
            'end-to-end': fps(end_to_end, frames),
            'thread': fps(lambda: end_to_end(True), frames),
            'inline': fps(lambda: end_to_end(False), frames)}


def main() -> None:
    args = parse_args()
    model = build_model(args)
    frames = video_info(args.video).num_frames
    rounds: dict[int, list[dict[str, float]]] = {b: [] for b in args.batch_size}
    for repeat in range(args.repeats):
        for batch_size in args.batch_size:
            rounds[batch_size].append(measure(model, args.video, batch_size, frames))
            print(f'round {repeat + 1}, batch {batch_size}: ' + ', '.join(
                f'{k} {v:.1f}' for k, v in rounds[batch_size][-1].items()), file=sys.stderr)
    width, height = model.input_size
    print(f'{args.video}: {frames} frames -> {width}x{height}, {args.config}, '
          f'torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs, median of '
          f'{args.repeats}')
    keys = ['decode', 'decode+resize', 'model', 'model+decode', 'end-to-end', 'thread',
            'inline']
    mode = 'thread' if VideoInference(model).prefetch else 'inline'
    print(f'default decoding for this model and machine: {mode}')
    print(f'{"batch":>5} ' + ' '.join(f'{k:>13}' for k in keys) + f' {"ratio":>6}')
    for batch_size, results in rounds.items():
        median = {k: statistics.median(r[k] for r in results) for k in keys}
        ratios = [r['end-to-end'] / r['model'] for r in results]
        print(f'{batch_size:>5} ' + ' '.join(f'{median[k]:>13.1f}' for k in keys)
              + f' {statistics.median(ratios):>6.2f}')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
