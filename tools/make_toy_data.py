"""Write posekit's deterministic toy DeepLabCut project (see ``posekit/datasets/toy/``).

Example::

    python tools/make_toy_data.py --root data/toy --seed 0
    python tools/make_toy_data.py --multiview   # two calibrated cameras, data/toy_multiview
    python tools/make_toy_data.py --small-figure  # figure in a 320 x 320 frame, data/toy_small
"""
import argparse
import time

from posekit.datasets.toy import ensure_toy_data


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate the built-in toy pose data.')
    parser.add_argument('--root', default=None,
                        help='project directory to write (default: data/toy, or '
                             'data/toy_multiview with --multiview, data/toy_small with '
                             '--small-figure)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--force', action='store_true',
                        help='regenerate even if the project exists with this seed')
    parser.add_argument('--multiview', action='store_true',
                        help='write the two views as separate calibrated cameras (one video '
                             'and label file per view, calibrations/, 3-D ground truth)')
    parser.add_argument('--small-figure', action='store_true',
                        help='the figure (both views moving together) wandering across a '
                             '320 x 320 frame, 4x its extent, for the crop-zoom pipeline')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    if args.multiview and args.small_figure:
        raise SystemExit('--multiview and --small-figure exclude each other')
    root = args.root or ('data/toy_multiview' if args.multiview else
                         'data/toy_small' if args.small_figure else 'data/toy')
    root = ensure_toy_data(root, args.seed, force=args.force, multiview=args.multiview,
                           small_figure=args.small_figure)
    kind = 'multiview toy data' if args.multiview else \
        'small-figure toy data' if args.small_figure else 'toy data'
    print(f'{kind} (seed {args.seed}) ready at {root} '
          f'({time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()
