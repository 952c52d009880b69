"""Labeled frames of a multiview project: one label file per camera view, same rows (LP)."""
import os.path as osp
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from posekit.registry import DATASETS
from .io import LabelTable, find_label_files, read_label_files
from .labeled_frames import SPLITS, assign_splits
from .metainfo import plain


def stack_views(items: Sequence[dict], view_names: Sequence[str]) -> dict:
    """Stack the packed items of the views of one sample along a new first (view) axis.

    Tensors of ``inputs`` and ``data_samples`` are stacked (``(V, ...)``); other values become
    lists of ``V``.

    Args:
        items: ``dict(inputs, data_samples)`` per view (``PackPoseInputs`` /
            ``PackClipInputs`` output).
        view_names: The views, for error messages.

    Raises:
        ValueError: The views' tensors differ in shape (e.g. a pipeline without ``Resize``
            on views of different frame sizes), naming the key and the views' shapes.
    """
    def stack(key: str, values: list):
        if not all(isinstance(v, torch.Tensor) for v in values):
            return list(values)
        shapes = {name: tuple(v.shape) for name, v in zip(view_names, values)}
        if len(set(shapes.values())) > 1:
            raise ValueError(f'{key}: the views\' tensors differ in shape {shapes}; resize '
                             'every view to one input size in the pipeline')
        return torch.stack(values)

    samples = [item['data_samples'] for item in items]
    return dict(inputs=stack('inputs', [item['inputs'] for item in items]),
                data_samples={key: stack(key, [s[key] for s in samples]) for key in samples[0]})


@DATASETS.register_module()
class MultiviewLabeledFramesDataset(BaseDataset):
    """Labeled instants seen by several cameras, each view labeled in its own CSV file.

    Lightning Pose's layout: ``CollectedData_<view>.csv`` per view, whose rows are the same
    instants in the same order, with the same body parts (keypoint names). Views may differ
    in frame size. A keypoint missing in one view is NaN in that view only.

    Each item runs ``pipeline`` once per view (each view's own random augmentation), on the
    single-view item of :class:`LabeledFramesDataset` (``img_path``, ``keypoints (K, 2)``,
    …), and stacks the packed results with :func:`stack_views`: ``inputs (V, 3, H, W)``,
    ``data_samples`` with ``keypoints (V, K, 2)``, ``input_from_frame (V, 3, 3)``, … and
    ``view_names``. The pipeline must bring every view to one input size (``Resize``).

    Args:
        view_names: The camera views, e.g. ``['top', 'side']``.
        ann_file: Label file pattern relative to ``data_root``, with ``{view}``.
        data_root: Project root; image paths in the CSVs are relative to it.
        split: ``'train'``, ``'validation'``, ``'test'``, ``'unused'``, ``'all'`` or a list.
        train_prob: Fraction of ``ann_file`` rows used for training.
        val_prob: Fraction for validation; the remaining rows are test.
        train_frames: Subsample the training rows (count or fraction); others are unused.
        seed: Seed of the split (one split for all views).
        test_ann_file: Pattern with ``{view}`` of label files whose rows are all test.
        pipeline: Transform configs, applied to each view.
        metainfo: Dataset metainfo; its keypoint names must be the label files'.
        test_mode: mmengine's flag.
        lazy_init: Defer reading the labels until first use.
    """

    def __init__(self, view_names: Sequence[str], ann_file: str = 'CollectedData_{view}.csv',
                 data_root: str = '', split: Union[str, Sequence[str]] = 'train',
                 train_prob: float = 0.95, val_prob: float = 0.05,
                 train_frames: Optional[Union[int, float]] = None, seed: int = 0,
                 test_ann_file: Optional[str] = None, pipeline: Sequence = (),
                 metainfo: Optional[dict] = None, test_mode: bool = False,
                 lazy_init: bool = False):
        self.view_names = [str(v) for v in view_names]
        if len(self.view_names) < 2 or len(set(self.view_names)) != len(self.view_names):
            raise ValueError(f'MultiviewLabeledFramesDataset: give at least two distinct '
                             f'view_names, got {list(view_names)}')
        for pattern in (ann_file, test_ann_file):
            if pattern is not None and '{view}' not in pattern:
                raise ValueError(f'MultiviewLabeledFramesDataset: label file pattern '
                                 f'{pattern!r} must contain {{view}}')
        splits = SPLITS if split == 'all' else ([split] if isinstance(split, str) else split)
        unknown = set(splits) - set(SPLITS)
        if unknown:
            raise ValueError(f'MultiviewLabeledFramesDataset: unknown split(s) '
                             f"{sorted(unknown)}; choose from {SPLITS} or 'all'")
        self.splits = tuple(splits)
        self.label_files = {v: find_label_files(ann_file.format(view=v), data_root)
                            for v in self.view_names}
        self.test_label_files = {v: find_label_files(test_ann_file.format(view=v), data_root)
                                 if test_ann_file else [] for v in self.view_names}
        self.split_cfg = dict(train_prob=train_prob, val_prob=val_prob,
                              train_frames=train_frames, seed=seed)
        super().__init__(ann_file='', data_root=data_root, pipeline=list(pipeline),
                         metainfo=plain(metainfo) if metainfo is not None else None,
                         test_mode=test_mode, lazy_init=lazy_init)

    def _read_views(self, files: dict[str, list[str]]) -> dict[str, LabelTable]:
        """Each view's table, checked to have the first view's rows and keypoint names."""
        tables = {v: read_label_files(paths) for v, paths in files.items() if paths}
        if not tables:
            return {}
        first = self.view_names[0]
        for view, table in tables.items():
            if table.keypoint_names != tables[first].keypoint_names:
                raise ValueError(f'{files[view][0]}: keypoints {table.keypoint_names} differ '
                                 f'from view {first!r}\'s {tables[first].keypoint_names} '
                                 f'({files[first][0]}); every view labels the same body parts')
            if len(table) != len(tables[first]):
                raise ValueError(f'{files[view]} hold {len(table)} rows but view {first!r}\'s '
                                 f'{files[first]} hold {len(tables[first])}; the views\' label '
                                 'files must list the same instants in the same order')
        return tables

    def load_data_list(self) -> list[dict]:
        """Read every view's label files, check the images exist and keep the splits.

        Raises:
            FileNotFoundError: A listed image is missing (names the CSV file and row).
            ValueError: The views' files differ in rows or keypoint names, or the metainfo
                names other keypoints.
        """
        train, test = self._read_views(self.label_files), self._read_views(self.test_label_files)
        names = train[self.view_names[0]].keypoint_names
        expected = self._metainfo.get('keypoint_names')
        if expected is not None and list(expected) != list(names):
            raise ValueError(f'{self.label_files[self.view_names[0]][0]}: the label files name '
                             f'the keypoints {list(names)}, the metainfo {list(expected)}')
        self._metainfo.update(keypoint_names=list(names), num_keypoints=len(names),
                              view_names=list(self.view_names))
        n_train = len(train[self.view_names[0]])
        n_test = len(test[self.view_names[0]]) if test else 0
        sets = np.concatenate([assign_splits(n_train, **self.split_cfg),
                               np.array(['test'] * n_test, dtype=object)])
        rows = [(train, i) for i in range(n_train)] + [(test, i) for i in range(n_test)]
        data_list = []
        for (tables, i), set_ in zip(rows, sets):
            images = [tables[v].image_paths[i] for v in self.view_names]
            paths = [im if osp.isabs(im) else osp.join(self.data_root, im) for im in images]
            for view, path, image in zip(self.view_names, paths, images):
                if not osp.isfile(path):
                    table = tables[view]
                    raise FileNotFoundError(f'{table.sources[i]}, row '
                                            f'{table.sources[:i + 1].count(table.sources[i]) + 3}'
                                            f': image {image!r} not found (looked for {path})')
            if set_ in self.splits:
                data_list.append(dict(
                    img_paths=paths, images=images, set=str(set_),
                    keypoints=np.stack([tables[v].keypoints[i] for v in self.view_names])
                    .astype(np.float32)))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The item's data info plus the view and keypoint names."""
        info = super().get_data_info(idx)
        info.update(view_names=list(self.view_names),
                    keypoint_names=self._metainfo['keypoint_names'])
        return info

    def view_info(self, info: dict, view: int) -> dict:
        """The single-view item of view ``view`` (what :class:`LabeledFramesDataset` yields)."""
        return dict(img_path=info['img_paths'][view], image=info['images'][view],
                    set=info['set'], keypoints=info['keypoints'][view].copy(),
                    keypoint_names=info['keypoint_names'], sample_idx=info['sample_idx'],
                    view=info['view_names'][view])

    def prepare_data(self, idx: int) -> dict:
        """Run the pipeline on every view of item ``idx`` and stack the views."""
        info = self.get_data_info(idx)
        items = [self.pipeline(self.view_info(info, v)) for v in range(len(self.view_names))]
        stacked = stack_views(items, self.view_names)
        stacked['data_samples']['view_names'] = list(self.view_names)
        return stacked
