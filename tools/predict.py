"""Predict videos with a trained model.

``python tools/predict.py CONFIG CHECKPOINT VIDEO_OR_DIR [VIDEO_OR_DIR ...]`` writes, for
each video, into ``<out dir>/video_preds/``: ``<stem>.csv`` (DLC format, frame pixels),
``<stem>_temporal_norm.csv``, ``<stem>_pca_*_error.csv`` (models with fitted PCA losses),
``<stem>_traces.png``, and with ``--save-video`` / ``--save-heatmaps``
``labeled_videos/<stem>_labeled.mp4`` / ``<stem>_heatmaps.npy``. A video that is missing or
unreadable is reported on one line and the others are still predicted (exit status 1).
"""
import argparse
import os.path as osp
import sys

from posekit.apis import init_model, write_video_outputs
from posekit.apis.cli import run_cli
from posekit.apis.config import resolve_checkpoint
from posekit.apis.device import DEVICE_CHOICES, resolve_device
from posekit.datasets.video_io import VideoReadError, list_videos


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Predict videos with a posekit model')
    parser.add_argument('config', help='config file the model was trained with')
    parser.add_argument('checkpoint', help='checkpoint file, or a work dir (its best checkpoint)')
    parser.add_argument('videos', nargs='+', metavar='VIDEO_OR_DIR',
                        help='video files and/or folders of videos')
    parser.add_argument('--out-dir', help="output folder; files go to OUT_DIR/video_preds "
                        "(default: the checkpoint's folder)")
    parser.add_argument('--batch-size', type=int, default=16, help='frames per model call')
    parser.add_argument('--save-video', action='store_true', help='write labeled videos')
    parser.add_argument('--save-heatmaps', action='store_true',
                        help='write every frame\'s heatmaps to <stem>_heatmaps.npy')
    parser.add_argument('--device', default='cpu', help=f'one of {DEVICE_CHOICES}')
    parser.add_argument('--conf-threshold', type=float, default=0.05,
                        help='keypoints below this confidence are not drawn')
    return parser.parse_args()


def expand_videos(items: list[str]) -> tuple[list[str], list[str]]:
    """Video files of the arguments, and one error message per argument matching none."""
    videos, errors = [], []
    for item in items:
        try:
            videos.extend(v for v in list_videos(item) if v not in videos)
        except FileNotFoundError as error:
            errors.append(str(error))
    return videos, errors


def main() -> None:
    args = parse_args()
    device = resolve_device(args.device)
    checkpoint = resolve_checkpoint(args.checkpoint)
    out_dir = osp.join(args.out_dir or osp.dirname(osp.abspath(checkpoint)), 'video_preds')
    videos, errors = expand_videos(args.videos)
    for message in errors:
        print(f'error: {message}', file=sys.stderr)
    model = init_model(args.config, checkpoint, device) if videos else None
    summaries = []
    for video in videos:
        try:
            outputs = write_video_outputs(
                model, video, out_dir, batch_size=args.batch_size, save_video=args.save_video,
                save_heatmaps=args.save_heatmaps, conf_threshold=args.conf_threshold)
        except (FileNotFoundError, VideoReadError) as error:
            message = str(error) if isinstance(error, VideoReadError) \
                else f'video not found: {video}'
            print(f'error: {message}', file=sys.stderr)
            errors.append(message)
            continue
        summaries.append(
            f'{video}: {len(outputs.predictions)} frames, {outputs.fps:.1f} fps, mean '
            f'confidence {outputs.mean_confidence:.3f} -> {", ".join(outputs.paths)}')
    print('\n'.join(summaries))
    if errors:
        sys.exit(1)


if __name__ == '__main__':
    run_cli(main)
