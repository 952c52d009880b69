"""Writes labeled-frame predictions and their pixel errors as CSV files (LP's layout)."""
import os.path as osp
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
import pandas as pd
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from posekit.datasets.io import to_dataframe, write_csv_atomic
from posekit.registry import METRICS
from .pixel_error import keypoint_errors


@METRICS.register_module()
class PredictionsWriter(BaseMetric):
    """Write ``{prefix}.csv`` and ``{prefix}_pixel_error.csv`` into ``out_dir``.

    ``{prefix}.csv`` is DLC-format (scorer/bodyparts/coords header rows, ``x, y,
    likelihood`` per keypoint, index = image path relative to the project) with a final
    ``set`` column; ``{prefix}_pixel_error.csv`` has one column per keypoint (frame px, NaN
    where unlabeled) and the same index and ``set`` column.

    Multiview samples (separate cameras, keypoints ``(V, K, 2)``) are written per view as
    Lightning Pose writes them: ``{prefix}_<view>.csv`` and ``{prefix}_<view>_pixel_error.csv``
    (index = the view's image paths, each view in its own frame pixels).

    Args:
        out_dir: Folder to write into (``tools/test.py`` sets it to the work dir).
        prefix: File name stem.
    """

    default_prefix = ''

    def __init__(self, out_dir: Optional[str] = None, prefix: str = 'predictions', **kwargs):
        super().__init__(**kwargs)
        self.out_dir = out_dir
        self.prefix = prefix

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(dict(
                image=sample.get('image', sample.get('img_path')),
                set=sample.get('set', 'unknown'), view_names=sample.get('view_names'),
                keypoints=np.asarray(sample['keypoints'], dtype=np.float64),
                confidences=np.asarray(sample['confidences'], dtype=np.float64),
                error=keypoint_errors(sample) if 'keypoints_gt' in sample else None))

    def compute_metrics(self, results: list) -> dict:
        if self.out_dir is None:
            raise ValueError('PredictionsWriter: out_dir is not set')
        views = results[0]['view_names'] if results else None
        if not views:
            written = self._write(results, self.prefix)
        else:
            written = []
            for v, view in enumerate(views):
                per_view = [dict(r, image=r['image'][v], keypoints=r['keypoints'][v],
                                 confidences=r['confidences'][v],
                                 error=None if r['error'] is None else r['error'][v])
                            for r in results]
                written += self._write(per_view, f'{self.prefix}_{view}')
        print_log(f'wrote {", ".join(written)}', logger='current')
        return {}

    def _write(self, results: list, prefix: str) -> list[str]:
        """Write ``{prefix}.csv`` (and ``{prefix}_pixel_error.csv``) of single-view results."""
        names = self.dataset_meta['keypoint_names']
        index = [r['image'] for r in results]
        sets = [r['set'] for r in results]
        preds = to_dataframe(index, names, np.stack([r['keypoints'] for r in results]),
                             likelihood=np.stack([r['confidences'] for r in results]),
                             extra={'set': sets})
        path = osp.join(self.out_dir, f'{prefix}.csv')
        write_csv_atomic(preds, path)
        written = [path]
        if all(r['error'] is not None for r in results):
            errors = pd.DataFrame(np.stack([r['error'] for r in results]), index=index,
                                  columns=names)
            errors['set'] = sets
            path = osp.join(self.out_dir, f'{prefix}_pixel_error.csv')
            write_csv_atomic(errors, path)
            written.append(path)
        return written
