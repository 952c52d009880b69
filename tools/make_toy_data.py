"""Write posekit's deterministic toy DeepLabCut project (see ``posekit/datasets/toy/``).

Example::

    python tools/make_toy_data.py --root data/toy --seed 0
"""
import argparse
import time

from posekit.datasets.toy import ensure_toy_data


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate the built-in toy pose data.')
    parser.add_argument('--root', default='data/toy', help='project directory to write')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--force', action='store_true',
                        help='regenerate even if the project exists with this seed')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    root = ensure_toy_data(args.root, args.seed, force=args.force)
    print(f'toy data (seed {args.seed}) ready at {root} '
          f'({time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()
