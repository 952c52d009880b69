"""Check a config's labeled data before a Runner exists, so a label fault leaves no work dir.

mmengine's Runner creates the work dir, its log and the config dump before it builds the
datasets; :func:`check_labeled_data` runs the datasets' label checks
(:func:`posekit.datasets.label_checks.check_labels`) first. The checks are cached per
process, so the datasets the Runner builds afterwards do not read the images again.
"""
from collections.abc import Sequence

from mmengine.config import Config

from posekit.datasets.label_checks import LabelSummary, check_labels, check_view_labels
from posekit.datasets.labeled_frames import resolve_label_files
from .project_vars import LABELED_LOADERS


def check_labeled_data(cfg: Config, loaders: Sequence[str] = LABELED_LOADERS
                       ) -> list[LabelSummary]:
    """Check the label files and images of every labeled dataset of ``loaders``.

    A ``MultiviewLabeledFramesDataset``'s views are checked each, then against each other
    (:func:`posekit.datasets.label_checks.check_view_labels`).

    Args:
        cfg: A config whose project variables are filled
            (:func:`posekit.apis.project_vars.fill_project_vars`).
        loaders: The dataloaders to check.

    Returns:
        One summary per distinct set of label files (per view for a multiview dataset).

    Raises:
        LabelFileError: A label file or an image fails a check (names file, row and key).
        FileNotFoundError: A label file or a listed image does not exist.
    """
    summaries, seen = [], set()
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        while dataset is not None:
            if dataset.get('type') == 'LabeledFramesDataset':
                root = dataset.get('data_root') or ''
                files, test_files = resolve_label_files(
                    dataset.ann_file, root, dataset.get('test_ann_file'))
                key = (root, tuple(files + test_files))
                if key not in seen:
                    seen.add(key)
                    summaries.append(check_labels(files + test_files, root))
            elif dataset.get('type') == 'MultiviewLabeledFramesDataset':
                summaries += _check_views(dataset, seen)
            dataset = dataset.get('dataset')
    return summaries


def _check_views(dataset: dict, seen: set) -> list[LabelSummary]:
    """:func:`check_view_labels` of a ``MultiviewLabeledFramesDataset`` config (once)."""
    root = dataset.get('data_root') or ''
    ann_file = dataset.get('ann_file', 'CollectedData_{view}.csv')
    test_ann_file = dataset.get('test_ann_file')
    files = {}
    for view in dataset['view_names']:
        train, test = resolve_label_files(
            ann_file.format(view=view), root,
            test_ann_file.format(view=view) if test_ann_file else None)
        files[view] = train + test
    key = (root, tuple(tuple(paths) for paths in files.values()))
    if key in seen:
        return []
    seen.add(key)
    return check_view_labels(files, root)
