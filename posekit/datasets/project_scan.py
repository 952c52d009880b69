"""Recognise a labeled project folder and gather what a config needs from it.

Three layouts are recognised (``tools/init_project.py``):

- **DeepLabCut**: ``config.yaml`` (``bodyparts``, ``skeleton``, ``video_sets``, ``scorer``),
  ``labeled-data/<video>/CollectedData_<scorer>.csv`` (or ``.h5`` when a folder has no CSV)
  and ``videos/``. A folder with ``labeled-data/*/CollectedData*`` files and no
  ``config.yaml`` is read the same way.
- **Lightning Pose**: ``CollectedData*.csv`` at the root, ``videos/``, and optionally an LP
  config (a ``*.yaml`` at the root or in ``configs/`` with a ``data`` section):
  ``keypoint_names``, ``columns_for_singleview_pca``, ``mirrored_column_matches`` (one list
  of keypoint indices per view) and ``image_resize_dims``.
- **A bare folder** with one label CSV.

Label files whose name ends in ``_test`` (``CollectedData_test.csv``) are held out as the
test set. The labels go through :func:`posekit.datasets.label_checks.check_labels`, so a
label fault is reported here already.
"""
import glob
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import yaml

from .io import LabelFileError, find_label_files
from .label_checks import LabelSummary, check_labels
from .video_io import list_videos, video_info

ImageSize = tuple[int, int]


@dataclass
class ProjectInfo:
    """What a project folder holds.

    Attributes:
        kind: ``'deeplabcut'``, ``'lightning-pose'`` or ``'folder'``.
        root: The project folder (absolute).
        ann_file: The label spec relative to ``root`` (``'labeled-data'``, a file name).
        test_ann_file: Held-out label files relative to ``root`` (may be empty).
        labels: The checked labels of every label file.
        skeleton: Keypoint name pairs (DeepLabCut's ``skeleton``).
        views: View name → keypoint names (Lightning Pose's ``mirrored_column_matches``).
        pca_keypoints: Keypoints for single-view PCA (``columns_for_singleview_pca``).
        resize: ``(W, H)`` the project's own config resizes to, when it says.
        videos: Video path (relative to ``root``) → frame count.
        notes: Things the user should know (mismatches between config and labels …).
    """
    kind: str
    root: str
    ann_file: str
    test_ann_file: list[str]
    labels: LabelSummary
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    views: dict[str, list[str]] = field(default_factory=dict)
    pca_keypoints: list[str] = field(default_factory=list)
    resize: Optional[ImageSize] = None
    videos: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def keypoint_names(self) -> list[str]:
        """The label files' keypoint names, in column order."""
        return self.labels.table.keypoint_names

    @property
    def frame_size(self) -> ImageSize:
        """The most common ``(W, H)`` of the labeled images."""
        return Counter(self.labels.image_sizes).most_common(1)[0][0]

    def missing_labels(self) -> dict[str, int]:
        """Keypoint name → number of labeled frames where it has no label."""
        missing = np.isnan(self.labels.table.keypoints).any(axis=-1).sum(axis=0)
        return dict(zip(self.keypoint_names, (int(m) for m in missing)))


def _read_yaml(path: str) -> dict:
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a YAML mapping, found {type(data).__name__}')
    return data


def _relative(paths: list[str], root: str) -> list[str]:
    return [osp.relpath(p, root) for p in paths]


def _videos(root: str, extra: list[str] = ()) -> dict[str, int]:
    """Videos in ``root/videos`` (else the existing ``extra`` paths) with frame counts."""
    try:
        paths = list_videos(osp.join(root, 'videos'))
    except FileNotFoundError:
        paths = [p for p in extra if osp.isfile(p)]
    found = {}
    for path in paths:
        found[osp.relpath(path, root)] = video_info(path).num_frames
    return found


def _split_test(files: list[str]) -> tuple[list[str], list[str]]:
    test = [p for p in files if osp.splitext(osp.basename(p))[0].endswith('_test')]
    return [p for p in files if p not in test], test


def _scan_deeplabcut(root: str) -> ProjectInfo:
    files = find_label_files(root)
    _, test = _split_test(files)
    info = ProjectInfo('deeplabcut', root, 'labeled-data', _relative(test, root),
                       check_labels(files, root))
    config = osp.join(root, 'config.yaml')
    if not osp.isfile(config):
        info.videos = _videos(root)
        return info
    dlc = _read_yaml(config)
    if dlc.get('multianimalproject'):
        raise LabelFileError(f'{config}: multianimalproject is true: multi-animal '
                             'DeepLabCut projects are not supported yet')
    names = info.keypoint_names
    bodyparts = list(dlc.get('bodyparts') or [])
    if bodyparts and bodyparts != names:
        info.notes.append(f'config.yaml bodyparts {bodyparts} differ from the label files\' '
                          f'{names}; the label files are used')
    info.skeleton = [(a, b) for a, b in (dlc.get('skeleton') or [])
                     if a in names and b in names]
    info.videos = _videos(root, list(dlc.get('video_sets') or {}))
    return info


def _lp_config(root: str) -> tuple[Optional[str], dict]:
    """The first Lightning Pose config (a YAML with a ``data`` section) of the project."""
    for path in sorted(glob.glob(osp.join(root, '*.y*ml')) +
                       glob.glob(osp.join(root, 'configs', '*.y*ml'))):
        data = _read_yaml(path).get('data')
        if isinstance(data, dict):
            return path, data
    return None, {}


def _view_name(names: list[str], index: int) -> str:
    """The keypoints' common ``_suffix`` (``nose_top`` … → ``top``), else ``view<index>``."""
    suffixes = {name.rsplit('_', 1)[-1] for name in names if '_' in name}
    return suffixes.pop() if len(suffixes) == 1 and all('_' in n for n in names) \
        else f'view{index}'


def _scan_lightning_pose(root: str, csvs: list[str]) -> ProjectInfo:
    config, data = _lp_config(root)
    csv_file = data.get('csv_file')
    files = [osp.join(root, csv_file)] if csv_file and osp.isfile(osp.join(root, csv_file)) \
        else csvs
    files, test = _split_test(files)
    info = ProjectInfo('lightning-pose', root, osp.relpath(files[0], root) if len(files) == 1
                       else 'CollectedData*.csv', _relative(test, root),
                       check_labels(files + test, root))
    names = info.keypoint_names
    if data.get('keypoint_names') and list(data['keypoint_names']) != names:
        info.notes.append(f'{config}: keypoint_names differ from the label file\'s {names}; '
                          'the label file is used')
    views = [[names[i] for i in view] for view in data.get('mirrored_column_matches') or []]
    info.views = {_view_name(view, i): view for i, view in enumerate(views)}
    info.pca_keypoints = [names[i] for i in data.get('columns_for_singleview_pca') or []]
    dims = data.get('image_resize_dims') or {}
    if dims.get('width') and dims.get('height'):
        info.resize = (int(dims['width']), int(dims['height']))
    info.videos = _videos(root)
    return info


def scan_project(root: str) -> ProjectInfo:
    """Recognise the project at ``root`` and gather its labels, videos and metadata.

    Raises:
        FileNotFoundError: ``root`` holds no label file of a recognised layout.
        LabelFileError: A label file or image fails the label checks, or the project is a
            multi-animal DeepLabCut project.
    """
    root = osp.abspath(root)
    if not osp.isdir(root):
        raise FileNotFoundError(f'project folder not found: {root}')
    if osp.isfile(osp.join(root, 'config.yaml')) or \
            glob.glob(osp.join(root, 'labeled-data', '*', 'CollectedData*')):
        return _scan_deeplabcut(root)
    collected = sorted(glob.glob(osp.join(root, 'CollectedData*.csv')))
    if collected:
        return _scan_lightning_pose(root, collected)
    csvs = sorted(glob.glob(osp.join(root, '*.csv')))
    if len(csvs) == 1:
        info = ProjectInfo('folder', root, osp.basename(csvs[0]), [],
                           check_labels(csvs, root))
        info.videos = _videos(root)
        return info
    raise FileNotFoundError(
        f'{root}: no labels found: expected a DeepLabCut project (config.yaml, '
        'labeled-data/<video>/CollectedData_<scorer>.csv), a Lightning Pose project '
        f'(CollectedData*.csv at the root) or one label CSV (found {len(csvs)} CSV files)')
