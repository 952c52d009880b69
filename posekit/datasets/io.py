"""Read and write DeepLabCut-format label and prediction CSV files.

A DLC CSV has three header rows whose first cells are ``scorer``, ``bodyparts`` and ``coords``;
each body part owns consecutive columns ``x, y`` optionally followed by ``visible`` (labels) or
``likelihood`` (predictions). The index is either one column (an image path relative to the
project root) or DeepLabCut's three columns (``labeled-data``, video folder, image file name),
which are joined with ``/``; backslashes (paths written on Windows) become ``/``. An empty
cell is a missing label (NaN); an infinite coordinate is an error. DeepLabCut's
multi-animal files (an ``individuals`` header row) are refused.
"""
import csv
import glob
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from posekit.atomic_io import atomic_output

HEADER_NAMES = ('scorer', 'bodyparts', 'coords')
EXTRA_COORDS = ('visible', 'likelihood')


class LabelFileError(ValueError):
    """A label file is malformed; the message names the file and the row or column."""


@dataclass
class LabelTable:
    """Keypoint labels of a set of images.

    Attributes:
        image_paths: One path per row, as written in the file's index.
        keypoint_names: Body part names, in column order (K of them).
        keypoints: ``(N, K, 2)`` float64 ``(x, y)`` in frame pixels, NaN where unlabeled.
        scorer: The scorer name of the first header row.
        visible: ``(N, K)`` float64 visibility flags (NaN where empty), or None.
        likelihood: ``(N, K)`` float64 confidences (prediction files), or None.
        sources: One label file path per row (which file the row came from).
        lines: One 1-based line number per row, in its file (header rows count).
    """
    image_paths: list[str]
    keypoint_names: list[str]
    keypoints: np.ndarray
    scorer: str = 'posekit'
    visible: Optional[np.ndarray] = None
    likelihood: Optional[np.ndarray] = None
    sources: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.image_paths)


def _read_rows(path: str) -> list[list[str]]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file not found: {path}')
    with open(path, newline='', encoding='utf-8-sig') as f:
        return [row for row in csv.reader(f)]


def _check_header(path: str, rows: list[list[str]]) -> int:
    """Validate the three header rows; return the number of index columns."""
    if len(rows) > 1 and rows[1] and rows[1][0].strip().lower() == 'individuals':
        raise LabelFileError(f'{path}: row 2 is an individuals header: multi-animal '
                             'DeepLabCut projects are not supported yet')
    if len(rows) < 3:
        raise LabelFileError(
            f'{path}: expected 3 header rows (scorer, bodyparts, coords), found {len(rows)} rows')
    for i, name in enumerate(HEADER_NAMES):
        first = rows[i][0].strip().lower() if rows[i] else ''
        if first != name:
            raise LabelFileError(
                f'{path}: row {i + 1} must start with {name!r} (DeepLabCut header rows '
                f'scorer/bodyparts/coords), found {rows[i][0] if rows[i] else ""!r}')
    n_index = 1
    while n_index < len(rows[0]) and rows[0][n_index].strip() == '' \
            and rows[2][n_index].strip() == '':
        n_index += 1
    if n_index not in (1, 3):
        raise LabelFileError(
            f'{path}: the index must be one column or 3 columns (labeled-data, video, image); '
            f'found {n_index}')
    return n_index


def _parse_columns(path: str, rows: list[list[str]], n_index: int) -> tuple[list, dict]:
    """Group data columns per body part: returns names and {name: {coord: column}}."""
    bodyparts, coords = rows[1], rows[2]
    if len(bodyparts) != len(coords):
        raise LabelFileError(f'{path}: header rows 2 and 3 have different lengths')
    names: list[str] = []
    columns: dict[str, dict[str, int]] = {}
    col = n_index
    while col < len(coords):
        part, coord = bodyparts[col].strip(), coords[col].strip().lower()
        if part == '' and coord == '':
            col += 1  # an extra non-keypoint column such as ``set``
            continue
        if coord != 'x' or col + 1 >= len(coords) or coords[col + 1].strip().lower() != 'y' \
                or bodyparts[col + 1].strip() != part:
            raise LabelFileError(
                f'{path}: keypoint columns must come in x/y pairs; column {col + 1} '
                f'(bodypart {part!r}, coord {coords[col]!r}) does not start an x/y pair '
                f'of the same bodypart')
        if part in columns:
            raise LabelFileError(f'{path}: bodypart {part!r} appears twice')
        entry = {'x': col, 'y': col + 1}
        col += 2
        while col < len(coords) and bodyparts[col].strip() == part \
                and coords[col].strip().lower() in EXTRA_COORDS:
            entry[coords[col].strip().lower()] = col
            col += 1
        names.append(part)
        columns[part] = entry
    if not names:
        raise LabelFileError(f'{path}: no keypoint columns (x/y pairs) found')
    return names, columns


def _to_float(path: str, line: int, part: str, coord: str, text: str) -> float:
    text = text.strip()
    if text == '' or text.lower() == 'nan':
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise LabelFileError(
            f'{path}: row {line}, bodypart {part!r}, coord {coord!r}: '
            f'{text!r} is not a number') from None
    if math.isinf(value):
        raise LabelFileError(
            f'{path}: row {line}, bodypart {part!r}, coord {coord!r}: {text!r} is not finite')
    return value


def read_dlc_csv(path: str) -> LabelTable:
    """Read one DeepLabCut-format CSV file.

    Args:
        path: The CSV file.

    Returns:
        The labels; ``image_paths`` keep the file's index (3-column indices joined with ``/``).

    Raises:
        FileNotFoundError: The file does not exist.
        LabelFileError: Missing header rows, a multi-animal header, keypoint columns not in
            x/y pairs, a row of the wrong length or a non-numeric or infinite value (the
            message names file, row and column).
    """
    rows = _read_rows(path)
    n_index = _check_header(path, rows)
    names, columns = _parse_columns(path, rows, n_index)
    width = len(rows[2])
    data_rows = [(i + 1, r) for i, r in enumerate(rows) if i >= 3 and any(c.strip() for c in r)]
    n, k = len(data_rows), len(names)
    keypoints = np.full((n, k, 2), np.nan)
    has_visible = any('visible' in columns[p] for p in names)
    has_likelihood = any('likelihood' in columns[p] for p in names)
    visible = np.full((n, k), np.nan) if has_visible else None
    likelihood = np.full((n, k), np.nan) if has_likelihood else None
    image_paths = []
    for r, (line, row) in enumerate(data_rows):
        if len(row) < width:
            row = row + [''] * (width - len(row))
        elif len(row) > width:
            raise LabelFileError(
                f'{path}: row {line} has {len(row)} columns, the header has {width}')
        image_paths.append('/'.join(c.strip() for c in row[:n_index]).replace('\\', '/'))
        for j, part in enumerate(names):
            cols = columns[part]
            for c, coord in enumerate(('x', 'y')):
                keypoints[r, j, c] = _to_float(path, line, part, coord, row[cols[coord]])
            if visible is not None and 'visible' in cols:
                visible[r, j] = _to_float(path, line, part, 'visible', row[cols['visible']])
            if likelihood is not None and 'likelihood' in cols:
                likelihood[r, j] = _to_float(path, line, part, 'likelihood',
                                             row[cols['likelihood']])
    scorer = rows[0][n_index].strip() if len(rows[0]) > n_index else 'posekit'
    return LabelTable(image_paths, names, keypoints, scorer or 'posekit', visible, likelihood,
                      [path] * n, [line for line, _ in data_rows])


def read_keypoint_names(path: str) -> list[str]:
    """Body part names of a label file, reading only a CSV's header rows."""
    if path.lower().endswith('.h5'):
        return read_label_file(path).keypoint_names
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        rows = [row for _, row in zip(range(3), reader)]
    n_index = _check_header(path, rows)
    return _parse_columns(path, rows, n_index)[0]


def find_label_files(spec: Union[str, Sequence[str]], root: str = '') -> list[str]:
    """Expand label file specs (paths or globs, relative to ``root``) into sorted paths.

    A directory spec means a DLC project (or its ``labeled-data`` folder): its
    ``labeled-data/*/CollectedData*.csv`` files, or a folder's ``CollectedData*.h5`` when it
    has no CSV.

    Raises:
        FileNotFoundError: A spec matches no file.
    """
    specs = [spec] if isinstance(spec, str) else list(spec)
    paths: list[str] = []
    for s in specs:
        full = s if osp.isabs(s) else osp.join(root, s)
        if osp.isdir(full):
            matches = []
            labeled = osp.join(full, 'labeled-data')
            for folder in sorted(glob.glob(osp.join(
                    labeled if osp.isdir(labeled) else full, '*', ''))):
                matches += sorted(glob.glob(osp.join(folder, 'CollectedData*.csv'))) or \
                    sorted(glob.glob(osp.join(folder, 'CollectedData*.h5')))
        else:
            matches = sorted(glob.glob(full)) if glob.has_magic(full) else (
                [full] if osp.isfile(full) else [])
        if not matches:
            raise FileNotFoundError(f'no label file matches {full!r}')
        paths.extend(m for m in matches if m not in paths)
    return paths


def duplicated_rows(table: LabelTable) -> list[str]:
    """Images listed more than once, each as ``'image' (file row N, file row M)``."""
    where: dict[str, list[str]] = {}
    for image, source, line in zip(table.image_paths, table.sources, table.lines):
        where.setdefault(image, []).append(f'{source} row {line}')
    return [f"{image!r} ({', '.join(rows)})" for image, rows in where.items() if len(rows) > 1]


def read_label_file(path: str) -> LabelTable:
    """Read one label file: a DLC CSV, or DeepLabCut's ``.h5`` (needs PyTables)."""
    if path.lower().endswith('.h5'):
        from .h5_labels import read_dlc_h5  # pandas' HDF5 backend is an optional extra
        return read_dlc_h5(path)
    return read_dlc_csv(path)


def read_label_files(paths: Sequence[str]) -> LabelTable:
    """Read several label files as one table (same body parts, in the same order).

    Raises:
        LabelFileError: A file has no labeled row, a file's body parts differ from the
            first file's, or an image is listed twice (all such rows are named).
    """
    tables = [read_label_file(p) for p in paths]
    for p, t in zip(paths, tables):
        if len(t) == 0:
            raise LabelFileError(f'{p}: no labeled rows, only the header')
    first = tables[0]
    for p, t in zip(paths[1:], tables[1:]):
        if t.keypoint_names != first.keypoint_names:
            raise LabelFileError(
                f'{p}: bodyparts {t.keypoint_names} differ from those of {paths[0]} '
                f'({first.keypoint_names})')
    table = first if len(tables) == 1 else _concatenate(tables)
    duplicates = duplicated_rows(table)
    if duplicates:
        shown = '; '.join(duplicates[:10]) + (f'; … {len(duplicates) - 10} more'
                                              if len(duplicates) > 10 else '')
        raise LabelFileError(f'{len(duplicates)} image(s) listed more than once in the label '
                             f'files (remove the duplicated rows): {shown}')
    return table


def _concatenate(tables: Sequence[LabelTable]) -> LabelTable:
    """One table of the rows of ``tables`` (same body parts), in order."""
    first = tables[0]

    def cat(attr):
        arrays = [getattr(t, attr) for t in tables]
        if all(a is None for a in arrays):
            return None
        return np.concatenate([
            a if a is not None else np.full(t.keypoints.shape[:2], np.nan)
            for a, t in zip(arrays, tables)])

    return LabelTable(
        image_paths=[p for t in tables for p in t.image_paths],
        keypoint_names=first.keypoint_names,
        keypoints=np.concatenate([t.keypoints for t in tables]),
        scorer=first.scorer, visible=cat('visible'), likelihood=cat('likelihood'),
        sources=[s for t in tables for s in t.sources],
        lines=[line for t in tables for line in t.lines])


def to_dataframe(index: Sequence, keypoint_names: Sequence[str], keypoints: np.ndarray,
                 likelihood: Optional[np.ndarray] = None, visible: Optional[np.ndarray] = None,
                 scorer: str = 'posekit', extra: Optional[dict] = None,
                 index_name: Optional[str] = None) -> pd.DataFrame:
    """Build a DLC-format DataFrame with 3 column levels (scorer, bodyparts, coords).

    Args:
        index: One entry per row (image paths or frame numbers).
        keypoint_names: K body part names.
        keypoints: ``(N, K, 2)`` coordinates.
        likelihood: Optional ``(N, K)`` confidences, written as coord ``likelihood``.
        visible: Optional ``(N, K)`` visibility flags, written as coord ``visible``.
        scorer: First header row value.
        extra: Extra columns after the keypoints, e.g. ``{'set': [...]}``; their header is
            ``(name, '', '')``.
        index_name: Name of the index column.

    Returns:
        The DataFrame.
    """
    keypoints = np.asarray(keypoints, dtype=float)
    n, k = keypoints.shape[:2]
    if len(keypoint_names) != k:
        raise ValueError(f'{len(keypoint_names)} keypoint names for {k} keypoints')
    parts = [('x', keypoints[..., 0]), ('y', keypoints[..., 1])]
    if likelihood is not None:
        parts.append(('likelihood', np.asarray(likelihood, dtype=float)))
    if visible is not None:
        parts.append(('visible', np.asarray(visible, dtype=float)))
    values = np.stack([a for _, a in parts], axis=-1).reshape(n, k * len(parts))
    columns = pd.MultiIndex.from_tuples(
        [(scorer, name, coord) for name in keypoint_names for coord, _ in parts],
        names=list(HEADER_NAMES))
    df = pd.DataFrame(values, index=pd.Index(list(index), name=index_name), columns=columns)
    for name, col in (extra or {}).items():
        df[(name, '', '')] = list(col)
    return df


def write_csv_atomic(df: pd.DataFrame, path: str) -> None:
    """Write ``df`` to ``path`` through a temporary file, so a crash never leaves half a file.

    The file gets the mode a plain ``open`` would give (``0o666`` minus the umask).
    """
    with atomic_output(path) as tmp, open(tmp, 'w', newline='') as f:
        df.to_csv(f)


def write_dlc_csv(path: str, index: Sequence, keypoint_names: Sequence[str],
                  keypoints: np.ndarray, **kwargs) -> pd.DataFrame:
    """Write a DLC-format CSV (labels or predictions) atomically; see :func:`to_dataframe`.

    Returns:
        The DataFrame that was written.
    """
    df = to_dataframe(index, keypoint_names, keypoints, **kwargs)
    write_csv_atomic(df, path)
    return df


def from_dataframe(df: pd.DataFrame) -> tuple[list[str], np.ndarray, Optional[np.ndarray]]:
    """Arrays of a DLC-format DataFrame (the inverse of :func:`to_dataframe`).

    Columns whose last header level is not ``x``, ``y`` or ``likelihood`` (e.g. ``set``)
    are ignored, so a DataFrame read back with ``pd.read_csv(path, header=[0, 1, 2],
    index_col=0)`` works as well.

    Args:
        df: Columns with 3 levels (scorer, bodyparts, coords).

    Returns:
        Keypoint names (K), ``(N, K, 2)`` float64 coordinates, and ``(N, K)`` float64
        likelihoods (None when the DataFrame has no likelihood columns).
    """
    x = df.xs('x', axis=1, level=-1)
    names = list(x.columns.get_level_values(-1))
    keypoints = np.stack([x.to_numpy(dtype=float),
                          df.xs('y', axis=1, level=-1).to_numpy(dtype=float)], axis=-1)
    coords = set(df.columns.get_level_values(-1))
    likelihood = df.xs('likelihood', axis=1, level=-1).to_numpy(dtype=float) \
        if 'likelihood' in coords else None
    return names, keypoints, likelihood
