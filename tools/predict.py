"""Predict videos with a trained model.

``python tools/predict.py CONFIG CHECKPOINT VIDEO_OR_DIR [VIDEO_OR_DIR ...]`` writes, for
each video, into ``<out dir>/video_preds/``: ``<stem>.csv`` (DLC format, frame pixels),
``<stem>_temporal_norm.csv``, ``<stem>_pca_*_error.csv`` (models with fitted PCA losses),
``<stem>_traces.png``, and with ``--save-video`` / ``--save-heatmaps``
``labeled_videos/<stem>_labeled.mp4`` / ``<stem>_heatmaps.npy``. A video that is missing or
unreadable is reported on one line and the others are still predicted (exit status 1).

Ensembles (issue 15): with an ensemble dir (``tools/ensemble.py``) as CHECKPOINT, or with
``--members CKPT_OR_DIR ...``, every member predicts each video: ``<stem>_member<i>.csv`` and
``<stem>_ensemble_{mean,median,variance}.csv``. ``--smooth eks|kalman|savgol`` adds
``<stem>_<method>.csv``; ``--format csv,h5,nwb`` adds ``.h5`` / ``.nwb`` files of the
predictions (of the ensemble mean and the smoothed track for an ensemble).
"""
import argparse
import os.path as osp
import sys

from posekit.apis import init_model
from posekit.apis.cli import run_cli
from posekit.apis.config import resolve_checkpoint
from posekit.datasets.video_io import VideoReadError, list_videos
from posekit.inference import write_video_outputs
from posekit.apis.ensemble import init_members, is_ensemble_dir
from posekit.inference.ensemble import predict_ensemble
from posekit.inference.formats import parse_formats, write_formats
from posekit.inference.smoothers import SMOOTHERS, smooth_members, write_smoothed


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
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu' or 'cuda:0'")
    parser.add_argument('--conf-threshold', type=float, default=0.05,
                        help='keypoints below this confidence are not drawn')
    # issue 15: other tools' formats, ensembles and smoothing
    parser.add_argument('--format', type=format_list, default=['csv'],
                        help='comma-separated output formats: csv (always written), h5 '
                        '(DeepLabCut), nwb (ndx-pose); e.g. csv,h5,nwb')
    parser.add_argument('--members', nargs='+', metavar='CKPT_OR_DIR',
                        help='more ensemble members: CHECKPOINT and these are predicted '
                        'as one ensemble (so is an ensemble dir given as CHECKPOINT)')
    parser.add_argument('--smooth', choices=SMOOTHERS,
                        help='also smooth each video: eks (ensembles; falls back to kalman), '
                        'kalman or savgol -> <stem>_<method>.csv')
    parser.add_argument('--smooth-param', type=float,
                        help='smoothing parameter (EKS s / Kalman q); default: chosen')
    return parser.parse_args()


def format_list(text: str) -> list[str]:
    """``--format``'s value as a list of names (argparse reports a bad one)."""
    try:
        return parse_formats(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def expand_videos(items: list[str]) -> tuple[list[str], list[str]]:
    """Video files of the arguments, and one error message per argument matching none."""
    videos, errors = [], []
    for item in items:
        try:
            videos.extend(v for v in list_videos(item) if v not in videos)
        except FileNotFoundError as error:
            errors.append(str(error))
    return videos, errors


def predict_ensemble_videos(args: argparse.Namespace) -> None:
    """Issue 15: predict with several members (and smooth); same reporting as :func:`main`."""
    checkpoints = [args.checkpoint] + list(args.members or [])
    default_dir = checkpoints[0] if is_ensemble_dir(checkpoints[0]) \
        else osp.dirname(osp.abspath(resolve_checkpoint(checkpoints[0])))
    out_dir = osp.join(args.out_dir or default_dir, 'video_preds')
    videos, errors = expand_videos(args.videos)
    for message in errors:
        print(f'error: {message}', file=sys.stderr)
    models = init_members(checkpoints, args.config, args.device) if videos else []
    for video in videos:
        try:
            result = predict_ensemble(models, video, out_dir, batch_size=args.batch_size)
        except (FileNotFoundError, VideoReadError) as error:
            errors.append(str(error))
            print(f'error: {error}', file=sys.stderr)
            continue
        stem = osp.splitext(osp.basename(video))[0]
        tables = {f'{stem}_ensemble_mean': result.statistics['mean']}
        if args.smooth:
            smoothed = smooth_members(result.members, args.smooth,
                                      (models[0].metainfo or {}).get('views'), args.smooth_param)
            result.paths.append(write_smoothed(smoothed, out_dir, stem))
            tables[f'{stem}_{smoothed.method}'] = smoothed.table
        for name, table in tables.items():
            result.paths += write_formats(table, osp.join(out_dir, name), video, args.format,
                                          models[0].metainfo)
        print(f'{video}: {len(models)} members, {len(result.members[0])} frames -> '
              f'{", ".join(result.paths)}')
    if errors:
        sys.exit(1)


def main() -> None:
    args = parse_args()
    if args.members or is_ensemble_dir(args.checkpoint):  # issue 15
        return predict_ensemble_videos(args)
    checkpoint = resolve_checkpoint(args.checkpoint)
    out_dir = osp.join(args.out_dir or osp.dirname(osp.abspath(checkpoint)), 'video_preds')
    videos, errors = expand_videos(args.videos)
    for message in errors:
        print(f'error: {message}', file=sys.stderr)
    model = init_model(args.config, checkpoint, args.device) if videos else None
    summaries = []
    for video in videos:
        try:
            outputs = write_video_outputs(
                model, video, out_dir, batch_size=args.batch_size, save_video=args.save_video,
                save_heatmaps=args.save_heatmaps, conf_threshold=args.conf_threshold)
            outputs.paths += write_formats(  # issue 15: --format, --smooth
                outputs.predictions, osp.join(out_dir, osp.splitext(osp.basename(video))[0]),
                video, args.format, model.metainfo)
            if args.smooth:
                outputs.paths.append(write_smoothed(smooth_members(
                    [outputs.predictions], args.smooth, smooth_param=args.smooth_param),
                    out_dir, osp.splitext(osp.basename(video))[0]))
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
