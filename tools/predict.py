"""Predict videos with a trained model, resumably, in one or many processes.

``python tools/predict.py CONFIG CHECKPOINT INPUT [INPUT ...]``: each INPUT is a video, a
folder of videos, a glob, or a text manifest (``.txt`` / ``.lst``: one such entry per line,
``#`` comments, relative to the manifest's folder). For each video, ``<out dir>/video_preds/``
gets ``<name>.csv`` (DLC format, frame pixels), ``<name>_temporal_norm.csv``,
``<name>_pca_*_error.csv`` (models with fitted PCA losses), ``<name>_traces.png``, with
``--save-video`` / ``--save-heatmaps`` ``labeled_videos/<name>_labeled.mp4`` /
``<name>_heatmaps.npy``, and last ``<name>.done.json``. ``<name>`` is the file stem, with
parent folders when stems repeat (docs/outputs.md). Videos whose outputs are complete are
skipped (``--overwrite`` predicts them again), so a killed run resumes by running the same
command. ``predict_summary.csv`` lists every video: frames, fps, mean confidence, the keypoints
below ``--conf-threshold`` on every frame (``never_confident``), status (done / skipped /
failed) and error. A video that is missing or unreadable is reported on one
line and the others are still predicted (exit status 1).

Many processes: ``torchrun --nproc-per-node N tools/predict.py ... --launcher pytorch``
(or ``tools/dist_predict.sh``) shares the videos between ranks, longest first by frame count;
``--shard I/N`` predicts the I-th of N shares without a launcher (SLURM job arrays) and writes
``predict_summary_<I>of<N>.csv``.

Other formats, ensembles and smoothing (issue 15): ``--format csv,h5,nwb`` adds ``<name>.h5``
/ ``<name>.nwb``; ``--smooth eks|kalman|savgol`` adds ``<name>_<method>.csv`` (both before
the done-marker, so they count in "complete"; add them to finished videos with
``--overwrite``). With an ensemble dir (``tools/ensemble.py``) as CHECKPOINT, or with
``--members CKPT_OR_DIR ...``, every member predicts each video: ``<name>_member<i>.csv`` and
``<name>_ensemble_{mean,median,variance}.csv`` (one process, no resume).

Several cameras (docs/multiview.md): with a multiview CONFIG (``metainfo.view_names``) the
videos are grouped into sessions by the config's video pattern (``{session}_{view}``); each
session's views are predicted in sync by the one model into ``<session>_<view>.csv`` (and the
other files above, per view) and, when the metainfo's ``calibration`` (one file, or a pattern
with ``{session}``) has the session's file, ``<session>_3d.csv`` (x, y, z per keypoint and
each frame's reprojection error; views below ``--conf-threshold`` are not triangulated). A
session is skipped, resumed, shared between processes and summarised as one unit. A session
lacking a view's video, or whose views differ in frame count, is one error naming it; a video
that fits no view of the pattern is predicted alone, as one camera.

Crop-zoom (docs/two_stage.md): a stage-2 config naming its first stage
(``stage1 = dict(config=..., checkpoint=...)``) with stage 2's CHECKPOINT predicts each video
with both stages (stage 1 finds the animal, stage 2 predicts on the crops); the outputs are
the same files, in frame pixels (no ``--save-heatmaps``); ensemble members may be crop-zoom
models too (each runs its own stage 1).
"""
import argparse
import os.path as osp
import sys

from posekit.apis.cli import run_cli
from posekit.apis.config import load_config, resolve_checkpoint
from posekit.apis.device import DEVICE_CHOICES
from posekit.apis.ensemble import init_members, is_ensemble_dir
from posekit.apis.two_stage import init_predictor
from posekit.datasets.video_io import VideoReadError
from posekit.inference.completion import completed
from posekit.inference.ensemble import predict_ensemble
from posekit.inference.formats import parse_formats, write_formats
from posekit.inference.session_runs import predict_sessions, session_completed
from posekit.inference.sessions import Session, multiview_sessions, session_files
from posekit.inference.distributed import finish, gather, init_ranks, share
from posekit.inference.sharding import balance, frame_counts, parse_shard
from posekit.inference.smoothers import SMOOTHERS, smooth_members, write_smoothed
from posekit.inference.video_list import expand_inputs, output_names
from posekit.inference.video_runs import check_out_dir, predict_many, write_summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Predict videos with a posekit model')
    parser.add_argument('config', help='config file the model was trained with')
    parser.add_argument('checkpoint', help='checkpoint file, or a work dir (its best checkpoint)')
    parser.add_argument('videos', nargs='+', metavar='INPUT',
                        help='video files, folders, globs and/or .txt manifests')
    parser.add_argument('--out-dir', help="output folder; files go to OUT_DIR/video_preds "
                        "(default: the checkpoint's folder)")
    parser.add_argument('--batch-size', type=int, default=16, help='frames per model call')
    parser.add_argument('--save-video', action='store_true', help='write labeled videos')
    parser.add_argument('--save-heatmaps', action='store_true',
                        help='write every frame\'s heatmaps to <name>_heatmaps.npy')
    parser.add_argument('--device', default='cpu', help=f'one of {DEVICE_CHOICES}')
    parser.add_argument('--amp', action='store_true',
                        help='bf16/fp16 backbone with channels-last where the device supports '
                        'it (head and keypoint decoding stay float32)')
    parser.add_argument('--conf-threshold', type=float, default=0.05,
                        help='keypoints below this confidence are not drawn; below it on '
                        'every frame, they are named in a warning and in the summary')
    parser.add_argument('--overwrite', action='store_true',
                        help='predict videos whose outputs are already complete')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                        help="'pytorch' under torchrun: the videos are shared between ranks")
    parser.add_argument('--shard', help='I/N: predict only the I-th (from 0) of N shares')
    # issue 15: other tools' formats, ensembles and smoothing
    parser.add_argument('--format', type=format_list, default=['csv'],
                        help='comma-separated output formats: csv (always written), h5 '
                        '(DeepLabCut), nwb (ndx-pose); e.g. csv,h5,nwb')
    parser.add_argument('--members', nargs='+', metavar='CKPT_OR_DIR',
                        help='more ensemble members: CHECKPOINT and these are predicted '
                        'as one ensemble (so is an ensemble dir given as CHECKPOINT)')
    parser.add_argument('--smooth', choices=SMOOTHERS,
                        help='also smooth each video: eks (ensembles; falls back to kalman), '
                        'kalman or savgol -> <name>_<method>.csv')
    parser.add_argument('--smooth-param', type=float,
                        help='smoothing parameter (EKS s / Kalman q); default: chosen')
    return parser.parse_args()


def format_list(text: str) -> list[str]:
    """``--format``'s value as a list of names (argparse reports a bad one)."""
    try:
        return parse_formats(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def extra_outputs(args: argparse.Namespace, model):
    """The ``--format`` / ``--smooth`` files of one video, written after its predictions."""
    def write(outputs, video: str, name: str, out_dir: str) -> list[str]:
        paths = write_formats(outputs.predictions, osp.join(out_dir, name), video, args.format,
                              model.metainfo)
        if args.smooth:
            paths.append(write_smoothed(smooth_members(
                [outputs.predictions], args.smooth, smooth_param=args.smooth_param),
                out_dir, name))
        return paths
    return write


def predict_ensemble_videos(args: argparse.Namespace) -> None:
    """Predict with several members (and smooth); errors reported as in :func:`main`."""
    checkpoints = [args.checkpoint] + list(args.members or [])
    default_dir = checkpoints[0] if is_ensemble_dir(checkpoints[0]) \
        else osp.dirname(osp.abspath(resolve_checkpoint(checkpoints[0])))
    out_dir = check_out_dir(osp.join(args.out_dir or default_dir, 'video_preds'))
    videos, errors = expand_inputs(args.videos)
    for message in errors:
        print(f'error: {message}', file=sys.stderr)
    names = output_names(videos)
    models = init_members(checkpoints, args.config, args.device) if videos else []
    for video in videos:
        try:
            result = predict_ensemble(models, video, out_dir, batch_size=args.batch_size,
                                      name=names[video])
        except (FileNotFoundError, VideoReadError) as error:
            errors.append(str(error))
            print(f'error: {error}', file=sys.stderr)
            continue
        tables = {f'{names[video]}_ensemble_mean': result.statistics['mean']}
        if args.smooth:
            smoothed = smooth_members(result.members, args.smooth,
                                      (models[0].metainfo or {}).get('views'), args.smooth_param)
            result.paths.append(write_smoothed(smoothed, out_dir, names[video]))
            tables[f'{names[video]}_{smoothed.method}'] = smoothed.table
        for name, table in tables.items():
            result.paths += write_formats(table, osp.join(out_dir, name), video, args.format,
                                          models[0].metainfo)
        print(f'{video}: {len(models)} members, {len(result.members[0])} frames -> '
              f'{", ".join(result.paths)}')
    if errors:
        sys.exit(1)


def unit_frames(units: list) -> list[int]:
    """Frames of each video, and of each session (all its views'), for sharing the work."""
    return [sum(frame_counts(unit.videos)) if isinstance(unit, Session)
            else frame_counts([unit])[0] for unit in units]


def main() -> None:
    args = parse_args()
    if args.members or is_ensemble_dir(args.checkpoint):
        return predict_ensemble_videos(args)
    shard = parse_shard(args.shard) if args.shard else None
    if shard and args.launcher != 'none':
        raise ValueError('--shard and --launcher pytorch exclude each other')
    summary = 'predict_summary.csv' if shard is None else \
        f'predict_summary_{shard[0]}of{shard[1]}.csv'
    checkpoint = resolve_checkpoint(args.checkpoint)
    out_dir = osp.join(args.out_dir or osp.dirname(osp.abspath(checkpoint)), 'video_preds')
    videos, errors = expand_inputs(args.videos)
    sessions, singles, session_errors = multiview_sessions(load_config(args.config), videos)
    errors += session_errors
    names = output_names(singles, reserved=[summary] + [
        name for session in sessions for name in session_files(session)])
    units = singles + sessions  # a unit is a video or a session, predicted by one process
    out_dir = check_out_dir(out_dir)
    ranks = init_ranks(args.launcher, args.device)
    wanted = dict(save_video=args.save_video, save_heatmaps=args.save_heatmaps)
    if shard is not None:  # jobs start at different times: balance on frames alone
        parts = balance(unit_frames(units), shard[1])
        mine = parts[shard[0]]
    else:  # rank 0 decides, complete videos and sessions weigh nothing
        pending = [args.overwrite or (
            session_completed(out_dir, u, **wanted) if isinstance(u, Session)
            else completed(out_dir, names[u], u, **wanted)) is None
            for u in units] if ranks.rank == 0 else None
        parts = share(None if ranks.rank else balance(
            [n if p else 0 for n, p in zip(unit_frames(units), pending)],
            ranks.world_size), ranks)
        mine = parts[ranks.rank]
    if ranks.rank == 0:
        for message in errors:
            print(f'error: {message}', file=sys.stderr)
    model = init_predictor(args.config, checkpoint, ranks.device, args.amp) if mine else None
    options = dict(overwrite=args.overwrite, batch_size=args.batch_size,
                   conf_threshold=args.conf_threshold, progress=ranks.world_size == 1,
                   extra=extra_outputs(args, model) if model is not None else None, **wanted)
    rows = predict_many(model, {units[i]: names[units[i]] for i in mine
                                if not isinstance(units[i], Session)}, out_dir, **options)
    rows += predict_sessions(model, [units[i] for i in mine if isinstance(units[i], Session)],
                             out_dir, **options)
    rows = gather(rows, ranks)
    failed = [row for row in rows if row.status == 'failed']
    if ranks.rank == 0:
        order = {u.label if isinstance(u, Session) else u: i for i, u in enumerate(units)}
        rows.sort(key=lambda row: order[row.video])
        write_summary(rows, osp.join(out_dir, summary))
        for row in rows:
            print(f'failed: {row.video}' if row.status == 'failed' else
                  f'{row.status}: {row.video} -> {row.name}: {row.frames} frames, '
                  f'{row.fps:.1f} fps, mean confidence {row.mean_confidence:.3f}')
        for row in failed:
            print(f'error: {row.error}', file=sys.stderr)
    finish(ranks)
    if errors or failed:
        sys.exit(1)


if __name__ == '__main__':
    run_cli(main)
