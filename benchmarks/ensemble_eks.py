"""Ensemble + smoothing and frame selection against a per-frame ground truth (issue 15).

Reads an ensemble's ``video_preds/`` for one video (``tools/predict.py CONFIG ENSEMBLE_DIR
VIDEO --smooth eks``) and prints, per track, the mean pixel error over all frames and
keypoints and the share of frame-to-frame displacements above 10 px: every member, the
ensemble mean, the ensemble median and the smoothed track(s). Then compares the mean true
error (over keypoints) of the frames ``select_frames.py`` would pick by each signal with
that of random picks under the same gap rule (mean over ``--random-draws`` draws).

Example::

    python benchmarks/ensemble_eks.py work_dirs/ens/video_preds session3 \\
        --ground-truth data/toy/ground_truth/session3.csv --n 20 --min-gap 10
"""
import argparse
import glob
import os.path as osp

import numpy as np
import pandas as pd

from posekit.datasets.io import from_dataframe
from posekit.inference import pixel_errors, read_ground_truth, video_metrics
from posekit.inference.frame_selection import SIGNALS, frame_scores, pick_frames


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pred_dir', help="the ensemble's video_preds/ folder")
    parser.add_argument('stem', help='video file stem, e.g. session3')
    parser.add_argument('--ground-truth', required=True, help='DLC CSV, index = frame')
    parser.add_argument('--n', type=int, default=20, help='frames to pick')
    parser.add_argument('--min-gap', type=int, default=10)
    parser.add_argument('--random-draws', type=int, default=200)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    tracks = {}
    for path in sorted(glob.glob(osp.join(args.pred_dir, f'{args.stem}_member*.csv'))):
        tracks[osp.basename(path)[len(args.stem) + 1:-4]] = path
    for name in ('ensemble_mean', 'ensemble_median', 'eks', 'kalman', 'savgol'):
        path = osp.join(args.pred_dir, f'{args.stem}_{name}.csv')
        if osp.isfile(path):
            tracks[name] = path
    errors = {}
    print(f'{"track":<16} {"pixel error":>12} {"jumps>10px":>11}')
    for name, path in tracks.items():
        df = pd.read_csv(path, header=[0, 1, 2], index_col=0)
        names, keypoints, _ = from_dataframe(df)
        truth_names, truth = read_ground_truth(args.ground_truth, len(keypoints))
        truth = truth[:, [truth_names.index(n) for n in names]]
        metrics = video_metrics(keypoints, truth, jump_threshold=10.)
        errors[name] = pixel_errors(keypoints, truth)
        print(f'{name:<16} {metrics["pixel_error"]:12.3f} '
              f'{100 * metrics["jumps_above_10px"]:10.2f}%')
    frame_error = np.nanmean(errors.get('ensemble_mean', next(iter(errors.values()))), axis=1)
    rng = np.random.default_rng(0)
    random_means = []
    for _ in range(args.random_draws):
        scores = {args.stem: rng.random(len(frame_error))}
        picks = pick_frames(scores, args.n, args.min_gap)
        random_means.append(np.mean([frame_error[p.frame] for p in picks]))
    print(f'\nmean true error (ensemble mean track) of {args.n} picked frames, '
          f'min gap {args.min_gap}:')
    print(f'{"random":<16} {np.mean(random_means):8.3f}  (sd over {args.random_draws} draws '
          f'{np.std(random_means):.3f})')
    for signal in SIGNALS:
        try:
            scores = frame_scores(args.pred_dir, signal)
        except FileNotFoundError:
            continue
        if args.stem in scores:
            picks = pick_frames({args.stem: scores[args.stem]}, args.n, args.min_gap)
            print(f'{signal:<16} {np.mean([frame_error[p.frame] for p in picks]):8.3f}')


if __name__ == '__main__':
    main()
