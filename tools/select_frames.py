"""Pick the next frames to label from a model's video predictions (the active-learning loop).

``python tools/select_frames.py PRED_DIR --n 20 --by ensemble_var|pca|temporal|confidence
--videos VIDEO_OR_DIR [...] [--project-dir DIR] [--labels CSV] [--min-gap 10]``

Ranks the frames of every video predicted into ``PRED_DIR`` (a ``video_preds/`` folder) by
the chosen uncertainty signal (``posekit/inference/frame_selection.py``), picks ``--n``
spread over time and videos (frames already in the label file are skipped, with their
neighbours within ``--min-gap``), writes them as ``DIR/labeled-data/<stem>/img<t:08d>.png``
and appends one empty row per frame to the label CSV (default ``DIR/CollectedData.csv``;
created with the predictions' keypoints when missing). Prints one line per pick.
"""
import argparse
import glob
import os.path as osp

from posekit.apis.cli import run_cli
from posekit.datasets.io import read_dlc_csv, read_keypoint_names
from posekit.datasets.video_io import list_videos
from posekit.inference.frame_selection import SIGNALS, frame_scores, pick_frames
from posekit.inference.label_queue import append_empty_rows, extract_frames, labeled_frames


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Pick and extract the next frames to label')
    parser.add_argument('pred_dir', help='a video_preds/ folder of predict.py or test.py')
    parser.add_argument('--n', type=int, default=20, help='frames to pick')
    parser.add_argument('--by', choices=SIGNALS, default='ensemble_var',
                        help='uncertainty signal ranking the frames')
    parser.add_argument('--videos', nargs='+', required=True, metavar='VIDEO_OR_DIR',
                        help='the predicted videos (matched to predictions by file stem)')
    parser.add_argument('--min-gap', type=int, default=10,
                        help='least distance in frames between two picks of a video')
    parser.add_argument('--project-dir', default='.', help='folder receiving labeled-data/')
    parser.add_argument('--labels', help='label CSV to append to (default '
                        'PROJECT_DIR/CollectedData.csv)')
    return parser.parse_args()


def prediction_keypoints(pred_dir: str) -> tuple[list[str], str]:
    """Keypoint names and scorer of a prediction CSV in ``pred_dir``."""
    for pattern in ('*_ensemble_mean.csv', '*.csv'):
        for path in sorted(glob.glob(osp.join(pred_dir, pattern))):
            try:
                table = read_dlc_csv(path)
            except ValueError:
                continue  # a T x K table, not a DLC prediction file
            return table.keypoint_names, table.scorer
    raise FileNotFoundError(f'{pred_dir}: no DLC-format prediction CSV to take keypoint '
                            f'names from; give an existing --labels file')


def main() -> None:
    args = parse_args()
    labels = args.labels or osp.join(args.project_dir, 'CollectedData.csv')
    videos = {osp.splitext(osp.basename(v))[0]: v
              for item in args.videos for v in list_videos(item)}
    scores = frame_scores(args.pred_dir, args.by)
    picks = pick_frames(scores, args.n, args.min_gap, exclude=labeled_frames(labels))
    images = extract_frames(picks, videos, args.project_dir)
    if osp.isfile(labels):
        names, scorer = read_keypoint_names(labels), read_dlc_csv(labels).scorer
    else:
        names, scorer = prediction_keypoints(args.pred_dir)
    added = append_empty_rows(labels, images, names, scorer)
    for pick, image in zip(picks, images):
        print(f'{pick.stem} frame {pick.frame}: {args.by} {pick.score:.4g} -> {image}')
    print(f'{len(picks)} frames picked by {args.by}; {added} rows added to {labels}')


if __name__ == '__main__':
    run_cli(main)
