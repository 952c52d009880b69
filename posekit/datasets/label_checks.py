"""Check a project's labels once, before any training: images, unlabeled keypoints, sizes.

:func:`check_labels` reads the label files (:func:`posekit.datasets.io.read_label_files`
refuses header-only files, duplicated images, infinite coordinates and multi-animal
files), then opens every listed image once — its header and, for PNG, the checksums of its
chunks (PIL's ``verify``), without decoding the pixels — and logs a summary (frames, files,
keypoints, image sizes: several sizes are allowed) and one warning naming the keypoints that
are never labeled. Results are cached per process by the files' modification times, so the
train, validation and test datasets built from the same files (and the check ``tools/`` run
before building a Runner) read each image once.
"""
import logging
import os
import os.path as osp
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from mmengine.logging import print_log
from PIL import Image, UnidentifiedImageError

from .io import LabelFileError, LabelTable, read_label_files

ImageSize = tuple[int, int]


@dataclass
class LabelSummary:
    """What the check found.

    Attributes:
        table: The labels of every file, in file order.
        image_sizes: ``(W, H)`` of each row's image.
        unlabeled_keypoints: Keypoints without a label in any row.
    """
    table: LabelTable
    image_sizes: list[ImageSize]
    unlabeled_keypoints: list[str]

    def describe(self) -> str:
        """One line: frames, files, keypoints and image sizes with their counts."""
        files = len(dict.fromkeys(self.table.sources))
        sizes = ', '.join(f'{w}x{h} ({n} frames)' for (w, h), n in
                          Counter(self.image_sizes).most_common())
        return (f'{len(self.table)} labeled frames in {files} label file(s), '
                f'{len(self.table.keypoint_names)} keypoints; image sizes (W x H): {sizes}')


_IMAGE_CACHE: dict[str, tuple[tuple[int, int], ImageSize]] = {}
_LABEL_CACHE: dict[tuple, LabelSummary] = {}


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


def image_size(path: str) -> ImageSize:
    """``(W, H)`` of an image file, read from its header; PNG chunk checksums are verified.

    Raises:
        OSError: The file cannot be read or is not a valid image.
    """
    stamp = _stamp(path)
    cached = _IMAGE_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with Image.open(path) as image:
        size = image.size
        image.verify()
    _IMAGE_CACHE[path] = (stamp, size)
    return size


def _check_images(table: LabelTable, data_root: str) -> list[ImageSize]:
    sizes = []
    for image, source, line in zip(table.image_paths, table.sources, table.lines):
        path = image if osp.isabs(image) else osp.join(data_root, image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{source}, row {line}: image {image!r} not found '
                                    f'(looked for {path})')
        try:
            sizes.append(image_size(path))
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
            raise LabelFileError(f'{source}, row {line}: image {image!r} cannot be read '
                                 f'({path}: {error})') from None
    return sizes


def check_labels(label_files: Sequence[str], data_root: str = '') -> LabelSummary:
    """Read and check label files and their images (module doc); log a summary once.

    Args:
        label_files: Label file paths (CSV, or ``.h5`` with PyTables).
        data_root: The folder the images' paths are relative to.

    Returns:
        The labels, each row's image size and the never-labeled keypoints.

    Raises:
        LabelFileError: A malformed label file or an unreadable image (the message names
            the label file, the row and the image).
        FileNotFoundError: A listed image does not exist (names label file, row, image).
    """
    key = (str(data_root), tuple((p, _stamp(p)) for p in label_files))
    if key in _LABEL_CACHE:
        return _LABEL_CACHE[key]
    table = read_label_files(label_files)
    sizes = _check_images(table, data_root)
    labeled = ~np.isnan(table.keypoints).any(axis=-1)
    unlabeled = [name for name, any_label in zip(table.keypoint_names, labeled.any(axis=0))
                 if not any_label]
    summary = LabelSummary(table, sizes, unlabeled)
    print_log(f'labels: {summary.describe()}', logger='current')
    if unlabeled:
        print_log(f'labels: keypoint(s) {unlabeled} have no label in any of the '
                  f'{len(table)} frames of {list(dict.fromkeys(label_files))}; the model '
                  'learns nothing for them', logger='current', level=logging.WARNING)
    _LABEL_CACHE[key] = summary
    return summary


def check_view_labels(files: dict[str, Sequence[str]], data_root: str = ''
                      ) -> list[LabelSummary]:
    """Check a multiview project's label files: each view's, then that the views agree.

    Every view's files go through :func:`check_labels`; then each view must label the first
    view's keypoint names, in as many files, and file by file the same number of rows (the
    same instants in the same order, ``MultiviewLabeledFramesDataset``).

    Args:
        files: ``{view: its label files}``, the files of every view in matching order.
        data_root: The folder the images' paths are relative to.

    Returns:
        One summary per view, in ``files`` order.

    Raises:
        LabelFileError: A malformed file or image, another keypoint list, another number of
            files, or a file with more rows than its counterpart (naming both files and the
            first row without a counterpart).
        FileNotFoundError: A listed image does not exist.
    """
    summaries = {view: check_labels(list(paths), data_root) for view, paths in files.items()}
    first = next(iter(files))
    reference = summaries[first].table
    for view, paths in files.items():
        table = summaries[view].table
        if table.keypoint_names != reference.keypoint_names:
            raise LabelFileError(
                f'{paths[0]}: keypoints {table.keypoint_names} differ from those of view '
                f'{first!r}, {reference.keypoint_names} ({files[first][0]}); every view labels '
                'the same body parts in the same order')
        if len(paths) != len(files[first]):
            raise LabelFileError(f'view {view!r} has {len(paths)} label file(s) {list(paths)}, '
                                 f'view {first!r} {len(files[first])} {list(files[first])}')
        for mine, theirs in zip(paths, files[first]):
            _check_same_rows(table, mine, reference, theirs)
    return list(summaries.values())


def _check_same_rows(table: LabelTable, path: str, reference: LabelTable, other: str) -> None:
    """Refuse two views' label files of different row counts, naming the first extra row."""
    rows = [line for source, line in zip(table.sources, table.lines) if source == path]
    others = [line for source, line in zip(reference.sources, reference.lines)
              if source == other]
    if len(rows) == len(others):
        return
    longer, lines = (path, rows) if len(rows) > len(others) else (other, others)
    extra = lines[min(len(rows), len(others))]
    raise LabelFileError(f'{path} has {len(rows)} rows but {other} has {len(others)}: row '
                         f'{extra} of {longer} has no counterpart; the views\' label files '
                         'must list the same instants in the same order')
