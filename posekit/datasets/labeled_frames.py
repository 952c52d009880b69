"""Labeled frames of a DeepLabCut-style project, split into train / validation / test."""
import logging
import os.path as osp
import re
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from posekit.registry import DATASETS
from .io import LabelTable, find_label_files
from .label_checks import check_labels
from .metainfo import plain

SPLITS = ('train', 'validation', 'test', 'unused')
FRAME_NUMBER = re.compile(r'\d+')


def split_sizes(n: int, train_prob: float, val_prob: float) -> tuple[int, int, int]:
    """Numbers of train / validation / test rows, as Lightning Pose computes them.

    ``floor(train_prob * n)`` train and ``floor(val_prob * n)`` validation rows, the rest
    test; at least one validation row when ``val_prob > 0`` (taken from train).
    """
    if train_prob < 0 or val_prob < 0 or train_prob + val_prob > 1 + 1e-9:
        raise ValueError(f'train_prob ({train_prob}) and val_prob ({val_prob}) must be '
                         'non-negative and sum to at most 1')
    n_train = int(np.floor(train_prob * n))
    n_val = int(np.floor(val_prob * n))
    if val_prob > 0 and n_val == 0 and n_train > 1:
        n_train, n_val = n_train - 1, 1
    return n_train, n_val, n - n_train - n_val


def assign_splits(n: int, train_prob: float = 0.95, val_prob: float = 0.05,
                  train_frames: Optional[Union[int, float]] = None, seed: int = 0
                  ) -> np.ndarray:
    """Assign each of ``n`` rows to a split, reproducibly from ``seed``.

    Args:
        n: Number of labeled rows.
        train_prob: Fraction of rows for training.
        val_prob: Fraction of rows for validation; the rest is test.
        train_frames: Keep only this many training rows (an int, or a fraction in (0, 1]);
            the other training rows are marked ``'unused'``.
        seed: Seed of the random permutation.

    Returns:
        ``(n,)`` array of ``'train'``, ``'validation'``, ``'test'`` or ``'unused'``.
    """
    n_train, n_val, _ = split_sizes(n, train_prob, val_prob)
    order = np.random.default_rng(seed).permutation(n)
    sets = np.empty(n, dtype=object)
    sets[order[:n_train]] = 'train'
    sets[order[n_train:n_train + n_val]] = 'validation'
    sets[order[n_train + n_val:]] = 'test'
    if train_frames is not None:
        keep = int(round(train_frames * n_train)) if isinstance(train_frames, float) \
            and train_frames <= 1 else int(train_frames)
        if keep < 1:
            raise ValueError(f'train_frames={train_frames} keeps no training frame')
        sets[order[keep:n_train]] = 'unused'
    return sets


def context_image_paths(image: str, context: int) -> list[str]:
    """Paths of the frames ``t - context … t + context`` around a labeled frame (LP's rule).

    The frame number ``t`` is the first integer in the file name's stem; neighbours keep its
    zero padding (``img0123.png`` → ``img0121.png`` … ``img0125.png``) and numbers below 0
    become 0. Whether the files exist is not checked here.

    Args:
        image: Path of the centre frame, e.g. ``labeled-data/session1/img00012.png``.
        context: Frames on each side.

    Returns:
        ``2 * context + 1`` paths in time order, ``image`` itself in the middle.

    Raises:
        ValueError: The file name holds no number.
    """
    folder, name = osp.split(image)
    stem, ext = osp.splitext(name)
    match = FRAME_NUMBER.search(stem)
    if match is None:
        raise ValueError(f'{image!r}: no frame number in the file name, so its context frames '
                         'cannot be found (context models need names like img0123.png)')
    digits = match.group()
    head, tail = stem[:match.start()], stem[match.end():]
    centre = int(digits)
    return [osp.join(folder, f'{head}{str(max(centre + offset, 0)).zfill(len(digits))}'
                             f'{tail}{ext}')
            for offset in range(-context, context + 1)]


def resolve_label_files(ann_file: Union[str, Sequence[str]], data_root: str = '',
                        test_ann_file: Optional[Union[str, Sequence[str]]] = None
                        ) -> tuple[list[str], list[str]]:
    """The label files of ``ann_file`` and of ``test_ann_file`` (left out of the first).

    Raises:
        FileNotFoundError: A spec matches no file.
    """
    test_files = find_label_files(test_ann_file, data_root) if test_ann_file else []
    return [p for p in find_label_files(ann_file, data_root) if p not in test_files], test_files


@DATASETS.register_module()
class LabeledFramesDataset(BaseDataset):
    """Labeled frames from DeepLabCut-format CSV files.

    Each item is the pipeline applied to ``dict(img_path, keypoints (K, 2) float32 frame px
    with NaN for unlabeled, set, image, keypoint_names, sample_idx)``; with ``context > 0``
    also ``context_paths``, the paths of frames ``t - context … t + context`` (see
    :func:`context_image_paths`), which ``LoadFrame`` reads as one stack. A neighbour file
    that does not exist is replaced by the centre frame; the dataset logs one warning with
    the number of such replacements when it loads its labels.

    Args:
        ann_file: Label CSV path(s) or glob(s) relative to ``data_root``, or a DLC project
            folder (all its ``labeled-data/*/CollectedData*.csv``).
        data_root: Project root; image paths in the CSV index are relative to it.
        split: ``'train'``, ``'validation'``, ``'test'``, ``'unused'``, ``'all'`` or a list.
        train_prob: Fraction of ``ann_file`` rows used for training.
        val_prob: Fraction for validation; the remaining rows are test.
        train_frames: Subsample the training rows (count or fraction); others are unused.
        seed: Seed of the split.
        test_ann_file: Label file(s) whose rows are all test (e.g. a held-out session); they
            are left out of ``ann_file`` matches.
        context: Context frames on each side of a labeled frame (2 for LP's context
            models); 0 loads the labeled frame alone.
        pipeline: Transform configs.
        metainfo: Dataset metainfo (keypoint names, views, skeleton, flip pairs; filled by
            ``tools/`` from the config, ``posekit.datasets.metainfo``); its keypoint names
            must be the label files'.
        test_mode: mmengine's flag (no refetch on failure).
        lazy_init: Defer reading the labels until first use.
    """

    def __init__(self, ann_file: Union[str, Sequence[str]], data_root: str = '',
                 split: Union[str, Sequence[str]] = 'train', train_prob: float = 0.95,
                 val_prob: float = 0.05, train_frames: Optional[Union[int, float]] = None,
                 seed: int = 0, test_ann_file: Optional[Union[str, Sequence[str]]] = None,
                 context: int = 0, pipeline: Sequence = (), metainfo: Optional[dict] = None,
                 test_mode: bool = False, lazy_init: bool = False):
        if int(context) != context or context < 0:
            raise ValueError(f'LabeledFramesDataset: context must be a non-negative int, got '
                             f'{context!r}')
        self.context = int(context)
        splits = SPLITS if split == 'all' else ([split] if isinstance(split, str) else split)
        unknown = set(splits) - set(SPLITS)
        if unknown:
            raise ValueError(f'LabeledFramesDataset: unknown split(s) {sorted(unknown)}; '
                             f"choose from {SPLITS} or 'all'")
        self.splits = tuple(splits)
        self.label_files, self.test_label_files = resolve_label_files(
            ann_file, data_root, test_ann_file)
        self.split_cfg = dict(train_prob=train_prob, val_prob=val_prob,
                              train_frames=train_frames, seed=seed)
        super().__init__(ann_file='', data_root=data_root, pipeline=list(pipeline),
                         metainfo=plain(metainfo) if metainfo is not None else None,
                         test_mode=test_mode, lazy_init=lazy_init)

    def _read(self) -> tuple[LabelTable, np.ndarray]:
        table = check_labels(self.label_files + self.test_label_files, self.data_root).table
        n_test_only = sum(source in self.test_label_files for source in table.sources)
        sets = np.concatenate([assign_splits(len(table) - n_test_only, **self.split_cfg),
                               np.array(['test'] * n_test_only, dtype=object)])
        return table, sets

    def load_data_list(self) -> list[dict]:
        """Read and check the label files and images, and keep the requested splits.

        The checks (:func:`posekit.datasets.label_checks.check_labels`) run once per process
        for a set of files: header-only files, duplicated images, non-finite coordinates,
        multi-animal files, missing or unreadable images are errors naming file and row.

        With ``context > 0``, each kept item also gets its ``context_paths``, missing
        neighbours replaced by the centre frame (one warning counts them).

        Raises:
            FileNotFoundError: A listed image is missing (names the CSV file and row).
            LabelFileError: A label file or an image fails a check.
            ValueError: ``context > 0`` and an image name holds no frame number.
        """
        table, sets = self._read()
        expected = self._metainfo.get('keypoint_names')
        if expected is not None and list(expected) != list(table.keypoint_names):
            raise ValueError(f'{self.label_files[0]}: the label files name the keypoints '
                             f'{list(table.keypoint_names)}, the metainfo {list(expected)}')
        self._metainfo.update(keypoint_names=list(table.keypoint_names),
                              num_keypoints=len(table.keypoint_names), scorer=table.scorer)
        data_list = []
        for i, image in enumerate(table.image_paths):
            path = image if osp.isabs(image) else osp.join(self.data_root, image)
            if sets[i] not in self.splits:
                continue
            data_list.append(dict(img_path=path, image=image, set=str(sets[i]),
                                  keypoints=table.keypoints[i].astype(np.float32)))
        if self.context:
            self._add_context_paths(data_list)
        return data_list

    def _add_context_paths(self, data_list: list[dict]) -> None:
        """Set each item's ``context_paths``, falling back to the centre for missing files."""
        replaced, example = 0, None
        for item in data_list:
            paths = []
            for image in context_image_paths(item['image'], self.context):
                path = image if osp.isabs(image) else osp.join(self.data_root, image)
                if path != item['img_path'] and not osp.isfile(path):
                    replaced, example = replaced + 1, example or image
                    path = item['img_path']
                paths.append(path)
            item['context_paths'] = paths
        if replaced:
            print_log(f'LabeledFramesDataset: {replaced} of '
                      f'{2 * self.context * len(data_list)} context frames do not exist '
                      f'(e.g. {example!r}) and were replaced by their centre frame',
                      logger='current', level=logging.WARNING)

    def get_data_info(self, idx: int) -> dict:
        """The item's data info plus the dataset's keypoint names (for flip pairs by name)."""
        info = super().get_data_info(idx)
        info['keypoint_names'] = self._metainfo['keypoint_names']
        return info
