"""Video inference throughput: ``predict_video`` end to end against the bare model.

For each backbone, precision (fp32, bf16 = ``amp=True``), batch size and number of processes,
in frames per second summed over the processes (each process predicts the same frames; all
start together):

- ``bare``: the model step alone, ``VideoInference.predict_batch`` (normalisation, backbone,
  head, keypoint decoding, frame-pixel mapping) on random uint8 frames already at the input
  size, as many frames as the video part;
- ``end-to-end``: ``predict_video`` on the video part (decoding, resizing, the same model
  step) plus writing the CSV, with the default decoding (a thread only when the process has
  cores beyond torch's threads, ``posekit.inference.prefetch``);
- ``ratio`` = end-to-end / bare (target ≥ 0.9).

One process uses every core; with N processes each is pinned to ``cores / N`` cores and runs
as many torch threads, as ``tools/predict.py --launcher pytorch`` ranks do. On a GPU (``--device
cuda``) the table covers fp32, fp16 and bf16 with ``cudnn.benchmark`` on, one process.

Example (docs/benchmarks.md)::

    python benchmarks/inference.py --config configs/mirror_mouse/heatmap.py \\
        --video data/mirror-mouse-example/videos/test_vid.mp4 \\
        --backbone resnet50 efficientnet_lite0 --batch-size 16 64 --processes 1 2

The models are built untrained from the config with the backbone replaced (same speed).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from mmengine.registry import init_default_scope

from posekit.apis.config import load_config, prepare_data
from posekit.apis.model_info import fill_model_info, label_keypoint_names
from posekit.datasets.video_io import read_frames
from posekit.inference import VideoInference, predict_video, prepare_for_inference, set_amp
from posekit.inference.distributed import pin_to_share
from posekit.registry import MODELS

BACKBONES = dict(resnet50=dict(type='ResNet', depth=50),
                 efficientnet_lite0=dict(type='EfficientNetLite0', pretrained=False))
PRECISIONS = dict(cpu=('fp32', 'bf16'), cuda=('fp32', 'fp16', 'bf16'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--video', required=True)
    parser.add_argument('--backbone', nargs='+', default=['resnet50'], choices=BACKBONES)
    parser.add_argument('--batch-size', type=int, nargs='+', default=[16, 64])
    parser.add_argument('--processes', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--frames', type=int, default=192, help='frames of the video used')
    parser.add_argument('--repeats', type=int, default=1, help='the median is reported')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--worker', help=argparse.SUPPRESS)  # JSON job of one process
    return parser.parse_args()


def build_model(config: str, backbone: str, precision: str, device: str) -> torch.nn.Module:
    init_default_scope('posekit')
    cfg = load_config(config)
    cfg.model.backbone = BACKBONES[backbone]
    prepare_data(cfg)
    fill_model_info(cfg)
    model = MODELS.build(cfg.model)
    prepare_for_inference(model, cfg, dict(keypoint_names=label_keypoint_names(cfg)))
    model.to(device)
    if precision != 'fp32':
        set_amp(model, True, dict(fp16=torch.float16, bf16=torch.bfloat16)[precision])
    return model


def worker(job: dict) -> None:
    """One process: build, warm up, wait for 'go' on stdin, measure, print JSON."""
    torch.set_num_threads(pin_to_share(*job['share']))
    device = job['device']
    if device.startswith('cuda'):
        torch.backends.cudnn.benchmark = True
    model = build_model(job['config'], job['backbone'], job['precision'], device)
    with tempfile.TemporaryDirectory() as tmp:
        video = osp.join(tmp, 'part.mp4')
        cut(job['video'], video, job['frames'])
        batch = job['batch_size']
        step = VideoInference(model, batch)
        width, height = model.input_size
        frames = torch.randint(0, 256, (batch, 3, height, width), dtype=torch.uint8)
        eye = torch.eye(3, dtype=torch.float64)

        def bare() -> None:
            with torch.inference_mode():
                for _ in range(-(-job['frames'] // batch)):
                    step.predict_batch(frames, eye)['keypoints_pred'].cpu()

        def end_to_end() -> None:
            predict_video(model, video, batch, progress=False).to_csv(osp.join(tmp, 'p.csv'))

        bare()  # warm-up (allocator, oneDNN / cuDNN kernels)
        print('ready', flush=True)
        sys.stdin.readline()
        result = {}
        for name, run in (('bare', bare), ('end-to-end', end_to_end)):
            start = time.perf_counter()
            run()
            result[name] = time.perf_counter() - start
        print(json.dumps(result), flush=True)


def cut(source: str, path: str, frames: int) -> None:
    """The first ``frames`` frames of ``source`` as an mp4v video."""
    import cv2
    rgb = read_frames(source, range(frames))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 30., rgb.shape[2:0:-1])
    for frame in rgb:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def measure(args: argparse.Namespace, backbone: str, precision: str, batch: int,
            processes: int) -> dict[str, float]:
    """Frames per second of ``processes`` simultaneous workers (summed)."""
    procs = []
    for rank in range(processes):
        job = dict(config=args.config, video=args.video, backbone=backbone,
                   precision=precision, batch_size=batch, frames=args.frames,
                   device=args.device, share=[rank, processes])
        procs.append(subprocess.Popen([sys.executable, __file__, '--config', args.config,
                                       '--video', args.video, '--worker', json.dumps(job)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    for proc in procs:
        assert proc.stdout.readline().strip() == 'ready'
    for proc in procs:
        proc.stdin.write('go\n')
        proc.stdin.flush()
    times = [json.loads(proc.stdout.readline()) for proc in procs]
    for proc in procs:
        proc.wait()
    return {key: processes * args.frames / max(t[key] for t in times)
            for key in ('bare', 'end-to-end')}


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    kind = 'cuda' if args.device.startswith('cuda') else 'cpu'
    processes = [1] if kind == 'cuda' else args.processes
    load = os.getloadavg()[0]
    print(f'{args.video}: first {args.frames} frames, {args.config}, {os.cpu_count()} CPUs, '
          f'device {args.device}, median of {args.repeats}, load average at start {load:.2f}')
    print('| backbone | precision | batch | processes | bare fps | end-to-end fps | ratio |')
    print('|---|---|---|---|---|---|---|')
    for backbone in args.backbone:
        for precision in PRECISIONS[kind]:
            for batch in args.batch_size:
                for count in processes:
                    runs = [measure(args, backbone, precision, batch, count)
                            for _ in range(args.repeats)]
                    bare = statistics.median(r['bare'] for r in runs)
                    e2e = statistics.median(r['end-to-end'] for r in runs)
                    ratio = statistics.median(r['end-to-end'] / r['bare'] for r in runs)
                    print(f'| {backbone} | {precision} | {batch} | {count} | {bare:.1f} | '
                          f'{e2e:.1f} | {ratio:.2f} |', flush=True)
    print(f'load average at end {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
