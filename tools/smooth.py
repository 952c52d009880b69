"""Smooth predictions of one video: ``python tools/smooth.py CSV [CSV ...] [--method eks]``.

The CSVs are DLC-format predictions of the same video by one or several models (e.g. an
ensemble's ``<stem>_member<i>.csv``). Writes ``<out dir>/<stem>_<method>.csv`` (default out
dir: the first CSV's folder; ``<stem>``: its name without ``_member<i>``), with LP's EKS
columns (``posekit/inference/smoothers.py``). ``eks`` needs two or more CSVs and the ``eks``
extra, else the plain Kalman smoother runs and the file says ``kalman``. ``--config`` gives the
config whose ``metainfo.views`` make EKS multi-view.
"""
import argparse
import os.path as osp

import pandas as pd

from posekit.apis.cli import run_cli
from posekit.apis.config import load_config
from posekit.datasets.io import read_dlc_csv
from posekit.datasets.metainfo import build_metainfo
from posekit.inference.ensemble import MEMBER_SUFFIX
from posekit.inference.smoothers import SMOOTHERS, smooth_members, write_smoothed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Smooth pose predictions of one video')
    parser.add_argument('csvs', nargs='+', metavar='CSV', help='DLC-format predictions')
    parser.add_argument('--method', choices=SMOOTHERS, default='eks')
    parser.add_argument('--smooth-param', type=float,
                        help='EKS s or Kalman q (px/frame^2); default: chosen from the data')
    parser.add_argument('--window', type=int, default=7, help='Savitzky-Golay window (odd)')
    parser.add_argument('--config', help='config whose metainfo.views make EKS multi-view')
    parser.add_argument('--out-dir', help="output folder (default: the first CSV's)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    members = []
    for path in args.csvs:
        read_dlc_csv(path)  # strict: names the file, row and column of a malformed CSV
        members.append(pd.read_csv(path, header=[0, 1, 2], index_col=0))
    views = None
    if args.config:
        names = read_dlc_csv(args.csvs[0]).keypoint_names
        views = build_metainfo(names, **dict(load_config(args.config).get('metainfo') or {})
                               )['views']
    smoothed = smooth_members(members, args.method, views, args.smooth_param, args.window)
    stem = MEMBER_SUFFIX.sub('', osp.splitext(osp.basename(args.csvs[0]))[0])
    path = write_smoothed(smoothed, args.out_dir or osp.dirname(osp.abspath(args.csvs[0])),
                          stem)
    params = ', '.join(f'{p:.4g}' for p in smoothed.params)
    print(f'{smoothed.method} of {len(members)} prediction(s), parameters [{params}] -> {path}')


if __name__ == '__main__':
    run_cli(main)
