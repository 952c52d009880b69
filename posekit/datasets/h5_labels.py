"""Read DeepLabCut's ``.h5`` label files (``CollectedData_<scorer>.h5``).

DeepLabCut saves its labels both as CSV and as a pandas HDF5 table; some projects keep only
the ``.h5``. Reading one needs PyTables (``pip install "posekit[h5]"``). The table has the
CSV's column levels (``scorer``, ``bodyparts``, ``coords``) and an index of image paths, or
DeepLabCut's three index levels (``labeled-data``, video, image), which are joined with
``/``. Rows are numbered from 1 in error messages (an ``.h5`` has no lines).
"""
import numpy as np
import pandas as pd

from .io import LabelFileError, LabelTable, from_dataframe


def _index_paths(index: pd.Index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return ['/'.join(str(part) for part in entry).replace('\\', '/') for entry in index]
    return [str(entry).replace('\\', '/') for entry in index]


def read_dlc_h5(path: str) -> LabelTable:
    """Read one DeepLabCut ``.h5`` label file.

    Args:
        path: The ``.h5`` file.

    Returns:
        The labels, as :func:`posekit.datasets.io.read_dlc_csv` returns a CSV's.

    Raises:
        LabelFileError: PyTables is not installed, the table is multi-animal (an
            ``individuals`` column level), has no rows, or holds an infinite coordinate.
    """
    try:
        import tables  # noqa: F401  (pandas' HDF5 backend)
    except ImportError:
        raise LabelFileError(f'{path}: reading DeepLabCut .h5 label files needs PyTables: '
                             'pip install "posekit[h5]" (or save the labels as CSV in '
                             'DeepLabCut)') from None
    df = pd.read_hdf(path)
    levels = [str(name).lower() for name in df.columns.names]
    if 'individuals' in levels:
        raise LabelFileError(f'{path}: the columns have an individuals level: multi-animal '
                             'DeepLabCut projects are not supported yet')
    if df.columns.nlevels != 3:
        raise LabelFileError(f'{path}: expected 3 column levels (scorer, bodyparts, coords), '
                             f'found {df.columns.nlevels}')
    names, keypoints, _ = from_dataframe(df)
    bad = np.argwhere(np.isinf(keypoints))
    if len(bad):
        row, k, c = bad[0]
        raise LabelFileError(f'{path}: row {row + 1}, bodypart {names[k]!r}, coord '
                             f"{'xy'[c]!r}: {keypoints[row, k, c]} is not finite")
    scorer = str(df.columns.get_level_values(0)[0]) if len(df.columns) else 'posekit'
    n = len(df)
    return LabelTable(_index_paths(df.index), names, keypoints, scorer or 'posekit',
                      sources=[path] * n, lines=list(range(1, n + 1)))
