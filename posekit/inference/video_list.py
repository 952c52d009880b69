"""The videos of a prediction run: files, folders, globs and manifests, each with a unique
output name.

Output names (docs/outputs.md): a video's name is its file stem (``session1.mp4`` →
``session1``). Videos sharing a stem are named by their parent folders too, as many as it
takes to tell them apart (``day1/cam/session1.mp4``, ``day2/cam/session1.mp4`` →
``day1_cam_session1``, ``day2_cam_session1``); videos differing only in the extension add it
(``session1_avi``). Names are decided by the whole list, so the same video gets the same name
in every run of the same list. A list whose output files would still collide (e.g. a video
named ``a_temporal_norm`` next to ``a``) is refused before any work.
"""
import os
import os.path as osp
from collections import defaultdict
from collections.abc import Iterable, Sequence

from posekit.datasets.video_io import list_videos

#: Files a video's name is the prefix of (``<name><suffix>``), checked for collisions.
OUTPUT_SUFFIXES = ('.csv', '_temporal_norm.csv', '_pca_singleview_error.csv',
                   '_pca_multiview_error.csv', '_pixel_error.csv', '_traces.png',
                   '_heatmaps.npy', '.done.json', '_labeled.mp4')
#: Extensions of text manifests (one video, folder or glob per line, ``#`` comments).
MANIFEST_EXTENSIONS = ('.txt', '.lst')


def read_manifest(path: str) -> list[str]:
    """The entries of a manifest: one path, folder or glob per line.

    Blank lines and everything after a ``#`` are ignored; relative entries are relative to the
    manifest's folder.

    Args:
        path: The text file.

    Returns:
        The entries, in order.

    Raises:
        FileNotFoundError: The manifest cannot be read.
    """
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise FileNotFoundError(f'cannot read manifest {path!r}: {error}') from None
    root = osp.dirname(osp.abspath(path))
    entries = (line.split('#', 1)[0].strip() for line in lines)
    return [entry if osp.isabs(entry) else osp.join(root, entry) for entry in entries if entry]


def expand_inputs(items: Iterable[str]) -> tuple[list[str], list[str]]:
    """Video files of command-line entries: files, folders, globs and manifests.

    Args:
        items: The entries; a file ending in ``.txt`` / ``.lst`` is a manifest
            (:func:`read_manifest`), whose entries are expanded the same way.

    Returns:
        The absolute video paths in order of first appearance (each once), and one error
        message per entry that matches no video.
    """
    videos: dict[str, None] = {}
    errors = []
    for item in items:
        if item.lower().endswith(MANIFEST_EXTENSIONS) and osp.isfile(item):
            try:
                entries = read_manifest(item)
            except FileNotFoundError as error:
                errors.append(str(error))
                continue
            found, bad = expand_inputs(entries)
            videos.update(dict.fromkeys(found))
            errors.extend(f'{item}: {message}' for message in bad)
            continue
        try:
            videos.update(dict.fromkeys(osp.abspath(v) for v in list_videos(item)))
        except FileNotFoundError as error:
            errors.append(str(error))
    return list(videos), errors


def _name(path: str, parents: int, extension: bool) -> str:
    """The stem of ``path`` behind its last ``parents`` folder names (and its extension)."""
    folders = osp.dirname(path).strip(os.sep).split(os.sep)
    stem, ext = osp.splitext(osp.basename(path))
    parts = (folders[len(folders) - parents:] if parents else []) + [stem]
    return '_'.join(parts + ([ext.lstrip('.')] if extension else []))


def output_names(videos: Sequence[str], reserved: Sequence[str] = ()) -> dict[str, str]:
    """A unique output name for each video (the rule of the module docstring).

    Args:
        videos: Distinct absolute video paths.
        reserved: Other file names of the output folder (e.g. the run's summary).

    Returns:
        ``{video: name}``.

    Raises:
        ValueError: Two videos' output files would still collide, or one would be a
            ``reserved`` file (names both).
    """
    names = {video: _name(video, 0, False) for video in videos}
    groups = defaultdict(list)
    for video, name in names.items():
        groups[name].append(video)
    for group in (g for g in groups.values() if len(g) > 1):
        depth = max(len(osp.dirname(v).strip(os.sep).split(os.sep)) for v in group)
        tries = [(n, False) for n in range(1, depth + 1)] + \
            [(n, True) for n in range(depth + 1)]
        for parents, extension in tries:
            candidates = {v: _name(v, parents, extension) for v in group}
            if len(set(candidates.values())) == len(group):
                names.update(candidates)
                break
    owner = {name: 'this run' for name in reserved}
    for video, name in names.items():
        for suffix in OUTPUT_SUFFIXES:
            other = owner.setdefault(name + suffix, video)
            if other != video:
                raise ValueError(f'the outputs of {other} and {video} would both be named '
                                 f'{name + suffix}; rename one of the videos or predict them '
                                 'into different --out-dir folders')
    return names
