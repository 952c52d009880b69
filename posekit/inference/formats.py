"""Prediction files other tools read: DeepLabCut ``.h5`` and NWB (``ndx-pose``).

``<stem>.csv`` (DLC format) is always written by :func:`~posekit.inference.writers.
write_video_outputs`; :func:`write_formats` adds, from the very same table:

- ``h5``: ``<stem>.h5``, the DataFrame of the CSV (columns ``scorer / bodyparts / coords``,
  index = frame number) under the key ``df_with_missing``, as DeepLabCut writes it. Needs
  ``tables`` (``pip install 'posekit[h5]'``).
- ``nwb``: ``<stem>.nwb``, an NWB file whose ``behavior`` processing module holds one
  ``PoseEstimation`` (``ndx-pose``) with one ``PoseEstimationSeries`` per keypoint (``(T, 2)``
  frame pixels, confidence, timestamps from the video's frame rate), the skeleton of the
  model's metainfo, the video path and ``source_software='posekit'`` with its version.
  Needs ``pynwb`` and ``ndx-pose`` (``pip install 'posekit[nwb]'``).

Both are written to a temporary file in the output folder and renamed.
"""
import datetime
import importlib.util
import os.path as osp
from collections.abc import Callable, Mapping, Sequence
from typing import Optional

import numpy as np
import pandas as pd

from posekit.atomic_io import atomic_output
import posekit
from posekit.datasets.io import from_dataframe
from posekit.datasets.video_io import video_info

FORMATS = ('csv', 'h5', 'nwb')
#: Modules each format needs, and the extra that installs them.
_NEEDS = {'h5': (('tables',), 'h5'), 'nwb': (('pynwb', 'ndx_pose'), 'nwb')}
#: Key of the DataFrame in a DeepLabCut ``.h5`` file.
H5_KEY = 'df_with_missing'


def parse_formats(text: str) -> list[str]:
    """The formats of a ``--format`` value such as ``'csv,h5,nwb'``.

    Args:
        text: Comma-separated format names.

    Returns:
        The names in the given order, without repeats.

    Raises:
        ValueError: A name is not one of :data:`FORMATS`, or the modules it needs are not
            installed.
    """
    formats = []
    for name in (part.strip().lower() for part in text.split(',')):
        if name not in FORMATS:
            raise ValueError(f'--format: unknown format {name!r}; choose from '
                             f'{",".join(FORMATS)}')
        modules, extra = _NEEDS.get(name, ((), ''))
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            raise ValueError(f"--format {name} needs {', '.join(missing)}: pip install "
                             f"'posekit[{extra}]'")
        if name not in formats:
            formats.append(name)
    return formats


def _write_atomic(path: str, write: Callable[[str], None]) -> str:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``."""
    with atomic_output(path) as tmp:
        write(tmp)
    return path


def write_dlc_h5(df: pd.DataFrame, path: str) -> str:
    """Write a DLC-format table as DeepLabCut's ``.h5`` (key ``df_with_missing``).

    Args:
        df: Columns ``(scorer, bodyparts, coords)``, index = frame number.
        path: The ``.h5`` file.

    Returns:
        ``path``.

    Raises:
        ImportError: ``tables`` is not installed (``pip install 'posekit[h5]'``).
    """
    try:
        import tables  # noqa: F401  (pandas' HDF5 backend)
    except ImportError:
        raise ImportError("writing .h5 predictions needs PyTables: pip install "
                          "'posekit[h5]'") from None
    return _write_atomic(path, lambda tmp: df.to_hdf(tmp, key=H5_KEY, mode='w',
                                                     format='fixed'))


def _skeleton_edges(names: Sequence[str], skeleton: Sequence[Sequence[str]]) -> np.ndarray:
    """``(E, 2)`` uint8 node indices of named bones (ndx-pose's edge type)."""
    edges = [[names.index(a), names.index(b)] for a, b in skeleton]
    return np.asarray(edges, dtype='uint8').reshape(-1, 2)


def write_nwb(df: pd.DataFrame, path: str, video: str, fps: float,
              frame_size: tuple[int, int], metainfo: Optional[Mapping] = None) -> str:
    """Write a DLC-format table as an NWB file with an ``ndx-pose`` ``PoseEstimation``.

    Args:
        df: Columns ``(scorer, bodyparts, coords)`` with ``x, y`` and optionally
            ``likelihood``; one row per frame.
        path: The ``.nwb`` file.
        video: The predicted video (stored as ``original_videos``).
        fps: Its frame rate; frame ``t`` is stamped ``t / fps`` seconds.
        frame_size: ``(W, H)`` of its frames (``dimensions``).
        metainfo: The model's metainfo; its ``skeleton`` (pairs of keypoint names) becomes
            the ``Skeleton``'s edges.

    Returns:
        ``path``. The file's ``session_start_time`` is the Unix epoch (posekit does not know
        when the video was recorded; set it with pynwb before archiving).

    Raises:
        ImportError: ``pynwb`` or ``ndx-pose`` is not installed.
        ValueError: ``fps`` is not positive.
    """
    try:
        from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
        from pynwb import NWBHDF5IO, NWBFile
    except ImportError:
        raise ImportError("writing .nwb predictions needs pynwb and ndx-pose: pip install "
                          "'posekit[nwb]'") from None
    if not fps > 0:
        raise ValueError(f'{video}: frame rate {fps} is not positive; NWB needs timestamps')
    names, keypoints, likelihood = from_dataframe(df)
    if likelihood is None:
        likelihood = np.full(keypoints.shape[:2], np.nan)
    scorer = str(df.columns.get_level_values(0)[0])
    skeleton = Skeleton(name='subject', nodes=list(names),
                        edges=_skeleton_edges(names, (metainfo or {}).get('skeleton') or ()))
    timestamps = np.arange(len(df), dtype=float) / fps
    series: list = []
    for k, name in enumerate(names):
        series.append(PoseEstimationSeries(
            name=name, description=f'{name} predicted by posekit ({scorer})',
            data=keypoints[:, k], unit='pixels',
            reference_frame='(0, 0) is the centre of the top-left pixel; x right, y down',
            timestamps=series[0] if series else timestamps,  # later series link the first's
            confidence=likelihood[:, k],
            confidence_definition='heatmap probability mass within 2 sigma of the keypoint; '
                                  'NaN for models without confidences'))
    estimation = PoseEstimation(
        name='PoseEstimation', pose_estimation_series=series,
        description=f'posekit predictions of {osp.basename(video)}',
        original_videos=[osp.abspath(video)],
        dimensions=np.asarray([frame_size], dtype='uint16'), scorer=scorer,
        source_software='posekit', source_software_version=posekit.__version__,
        skeleton=skeleton)
    nwbfile = NWBFile(session_description=f'posekit predictions of {video}',
                      identifier=f'posekit-{osp.splitext(osp.basename(video))[0]}',
                      session_start_time=datetime.datetime(1970, 1, 1,
                                                           tzinfo=datetime.timezone.utc))
    behavior = nwbfile.create_processing_module(name='behavior',
                                                description='pose estimation')
    behavior.add(Skeletons(skeletons=[skeleton]))
    behavior.add(estimation)

    def write(tmp: str) -> None:
        with NWBHDF5IO(tmp, mode='w') as io:
            io.write(nwbfile)

    return _write_atomic(path, write)


def write_formats(df: pd.DataFrame, out_stem: str, video: str, formats: Sequence[str],
                  metainfo: Optional[Mapping] = None) -> list[str]:
    """Write a video's prediction table in the extra formats (its CSV is written elsewhere).

    Args:
        df: The DLC-format table of ``<out_stem>.csv``.
        out_stem: Output path without extension, e.g. ``video_preds/session3``.
        video: The predicted video (frame rate and size for NWB).
        formats: Names from :data:`FORMATS`; ``'csv'`` adds nothing.
        metainfo: The model's metainfo (the NWB skeleton).

    Returns:
        The files written: ``<out_stem>.h5`` and / or ``<out_stem>.nwb``.
    """
    written = []
    if 'h5' in formats:
        written.append(write_dlc_h5(df, f'{out_stem}.h5'))
    if 'nwb' in formats:
        info = video_info(video)
        written.append(write_nwb(df, f'{out_stem}.nwb', video, info.fps,
                                 (info.width, info.height), metainfo))
    return written
