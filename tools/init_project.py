"""Write a posekit config for a DeepLabCut / Lightning Pose project or a folder of labels.

``python tools/init_project.py PROJECT_DIR [--out configs/my_project.py]
[--model heatmap|heatmap_semi|heatmap_mhcrnn|regression] [--input-size W H] [--stride S]``

Reads the project (posekit/datasets/project_scan.py), checks its labels and images, prints
what it found and writes a short config that trains with ``tools/train.py`` as it is.

Choices (``posekit/apis/project_config.py``): the input size keeps the frames' aspect in
multiples of 32 with the longer side at most ``--max-side`` (frames are letterboxed into
it); the heatmap stride is 2 when the labeled animal (median per-frame extent of its labels)
spans fewer than 128 input pixels, else 4.
"""
import argparse
import os.path as osp
from collections import Counter

from posekit.apis.cli import run_cli
from posekit.apis.project_config import (MODELS, choose_input_size, choose_stride,
                                         label_extent, render_config)
from posekit.atomic_io import write_text_atomic
from posekit.datasets.project_scan import ProjectInfo, scan_project


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('project', help='the project folder')
    parser.add_argument('--out', help='config to write (default configs/<project name>.py)')
    parser.add_argument('--model', choices=MODELS, default='heatmap',
                        help='recipe (default heatmap; *_semi needs videos)')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='model input size (default: from the frame size, multiples of '
                        '32, at most --max-side)')
    parser.add_argument('--max-side', type=int, default=384,
                        help='longest input side when choosing the input size (default 384)')
    parser.add_argument('--stride', type=int, choices=(2, 4, 8),
                        help='heatmap stride (default: 2 when the labeled animal spans fewer '
                        'than 128 input pixels, else 4)')
    return parser.parse_args()


def report(info: ProjectInfo, size: tuple, stride: int, extent: float) -> None:
    """Print what the project holds."""
    table = info.labels.table
    print(f'{info.kind} project at {info.root}')
    files = Counter(osp.relpath(s, info.root) for s in table.sources)
    print(f'  labeled frames: {len(table)} in {len(files)} file(s)')
    for path, n in files.items():
        held_out = ' (held out: test)' if path in info.test_ann_file else ''
        print(f'    {path}: {n}{held_out}')
    missing = info.missing_labels()
    print(f'  keypoints: {len(info.keypoint_names)} (frames without a label in brackets)')
    print('    ' + ', '.join(f'{name} ({missing[name]})' for name in info.keypoint_names))
    sizes = ', '.join(f'{w}x{h} ({n})' for (w, h), n in
                      Counter(info.labels.image_sizes).most_common())
    print(f'  image sizes (W x H, frames): {sizes}')
    print(f'  input size: {size[0]}x{size[1]} (letterboxed)')
    print(f'  labeled extent: {extent:.0f} frame px (median); heatmap stride: {stride}')
    print('  split: ' + ('90 % train, 10 % validation; test: the held-out file(s)'
                         if info.test_ann_file else
                         '80 % train, 10 % validation, 10 % test (seed 0)'))
    for name, keypoints in info.views.items():
        print(f'  view {name}: {keypoints}')
    if info.skeleton:
        print(f'  skeleton: {len(info.skeleton)} bones')
    print(f'  videos: {len(info.videos)}' + ''.join(
        f'\n    {path}: {n} frames' for path, n in info.videos.items()))
    for note in info.notes:
        print(f'  note: {note}')


def main() -> None:
    args = parse_args()
    info = scan_project(args.project)
    out = args.out or osp.join('configs', f'{osp.basename(info.root)}.py')
    size = tuple(args.input_size or info.resize
                 or choose_input_size(info.frame_size, args.max_side))
    extent = label_extent(info.labels.table.keypoints)
    stride = args.stride or choose_stride(extent, info.frame_size, size)
    text = render_config(info, out, args.model, size, stride)
    report(info, size, stride, extent)
    write_text_atomic(out, text)
    print(f'wrote {out}\nnext: python tools/train.py {out}')


if __name__ == '__main__':
    run_cli(main)
