"""Pick diverse frames of videos to label: ``python tools/extract_frames.py VIDEO... --n 50
[--method kmeans|uniform] [--out PROJECT_DIR] [--keypoints a b c]``.

Frames go to ``PROJECT_DIR/labeled-data/<video stem>/img<frame:05d>.png`` with a label CSV
whose coordinates are empty (posekit/datasets/frame_selection.py). Keypoint names come from
``--keypoints``, else from the project (DeepLabCut ``config.yaml`` bodyparts, or its first
label file).
"""
import argparse
import os.path as osp

import yaml

from posekit.apis.cli import run_cli
from posekit.datasets.frame_selection import METHODS, select_frames, write_labeled_folder
from posekit.datasets.io import find_label_files, read_keypoint_names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('videos', nargs='+', help='video files')
    parser.add_argument('--n', type=int, default=50, help='frames per video (default 50)')
    parser.add_argument('--method', choices=METHODS, default='kmeans')
    parser.add_argument('--out', default='.', help='project folder (default: here)')
    parser.add_argument('--keypoints', nargs='+', help='body part names')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def project_keypoints(project: str) -> tuple[list[str], str]:
    """Keypoint names and scorer of an existing project.

    Raises:
        ValueError: The project names no keypoints (pass ``--keypoints``).
    """
    config = osp.join(project, 'config.yaml')
    if osp.isfile(config):
        with open(config, encoding='utf-8') as f:
            dlc = yaml.safe_load(f) or {}
        if dlc.get('bodyparts'):
            return list(dlc['bodyparts']), str(dlc.get('scorer') or 'posekit')
    try:
        return read_keypoint_names(find_label_files(project)[0]), 'posekit'
    except FileNotFoundError:
        raise ValueError(f'{project}: no config.yaml bodyparts and no label file to take the '
                         'keypoint names from; pass --keypoints a b c') from None


def main() -> None:
    args = parse_args()
    if args.keypoints:
        names, scorer = list(args.keypoints), 'posekit'
    else:
        names, scorer = project_keypoints(args.out)
    for video in args.videos:
        frames = select_frames(video, args.n, args.method, args.seed)
        csv = write_labeled_folder(video, frames, args.out, names, scorer)
        print(f'{video}: {len(frames)} frames ({args.method}) -> {csv}')
    print(f'label them (e.g. in DeepLabCut or any tool that writes this CSV), then: '
          f'python tools/init_project.py {args.out}')


if __name__ == '__main__':
    run_cli(main)
