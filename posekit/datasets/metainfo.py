"""Dataset metainfo: keypoint names, named views, skeleton and flip pairs (docs/contracts.md).

Keypoint names come from the label file's header; the config's top-level ``metainfo`` adds
what a header cannot say::

    metainfo = dict(
        views=dict(top=['nose_top', 'paw_top'], bottom=['nose_bot', 'paw_bot']),
        skeleton=[('nose_top', 'paw_top')],
        flip_pairs=[('paw_l', 'paw_r')])

``tools/`` merge the two once (``posekit.apis.config``) and hand the result to the model
(``PoseTracker(metainfo=...)``, which passes it to its losses and saves it in checkpoints)
and to the labeled datasets. Views of a multi-view (e.g. mirror) project list the same body
parts in the same order, so the i-th keypoint of every view is one body part.
"""
from collections.abc import Mapping, Sequence
from typing import Optional, Union

KeypointRef = Union[str, int]


def keypoint_index(names: Sequence[str], ref: KeypointRef, owner: str) -> int:
    """The index of a keypoint given by name (or already by index).

    Args:
        names: The dataset's keypoint names, in label-file column order.
        ref: A name, or an index into ``names``.
        owner: Who asks, for the error message.

    Raises:
        KeyError: An unknown name or an index out of range, naming ``owner``.
    """
    if isinstance(ref, str):
        if ref not in names:
            raise KeyError(f'{owner}: unknown keypoint {ref!r}; the labels have {list(names)}')
        return list(names).index(ref)
    if int(ref) != ref or not 0 <= ref < len(names):
        raise KeyError(f'{owner}: keypoint index {ref!r} is out of range for '
                       f'{len(names)} keypoints')
    return int(ref)


def keypoint_indices(names: Sequence[str], refs: Sequence[KeypointRef], owner: str
                     ) -> list[int]:
    """:func:`keypoint_index` of each of ``refs``."""
    return [keypoint_index(names, ref, owner) for ref in refs]


def _pairs(names: Sequence[str], pairs: Sequence[Sequence[KeypointRef]], what: str
           ) -> list[tuple[str, str]]:
    result = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f'metainfo.{what}: each entry must be a pair of keypoints, got '
                             f'{pair!r}')
        i, j = keypoint_indices(names, pair, f'metainfo.{what}')
        result.append((names[i], names[j]))
    return result


def plain(value):
    """A copy with mappings as plain dicts and lists as lists (e.g. of a config's ConfigDict),
    so the metainfo pickles into checkpoints that load with ``weights_only=True``."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    return value


def build_metainfo(keypoint_names: Sequence[str], views: Optional[Mapping] = None,
                   skeleton: Sequence = (), flip_pairs: Sequence = (),
                   view_names: Optional[Sequence[str]] = None, **extra) -> dict:
    """Validate a config's metainfo against the label header and resolve it to names.

    Args:
        keypoint_names: Names from the label file header.
        views: View name → its keypoints (names or indices), equal lengths.
        skeleton: Pairs of keypoints drawn as bones.
        flip_pairs: Pairs of keypoints swapped by a horizontal flip.
        view_names: Separate camera views of a multiview project (one label file and video
            per view, the same keypoint names in each): the model gets a view axis.
        **extra: Other entries (e.g. ``scorer``, ``calibration``), kept as they are.

    Returns:
        ``dict(keypoint_names, num_keypoints, views, skeleton, flip_pairs, **extra)`` with
        every keypoint given by name, plus ``view_names`` when given.

    Raises:
        KeyError: An unknown keypoint name or index.
        ValueError: Views of different lengths, a keypoint in two views, a malformed pair, or
            fewer than two distinct camera views.
    """
    names = list(keypoint_names)
    if view_names is not None:
        if isinstance(view_names, str) or len(view_names) < 2 or \
                len(set(view_names)) != len(view_names):
            raise ValueError(f'metainfo.view_names: give at least two distinct camera views, '
                             f'got {view_names!r}')
        extra['view_names'] = [str(v) for v in view_names]
    resolved_views = {}
    for view, members in dict(views or {}).items():
        if isinstance(members, str) or not members:
            raise ValueError(f'metainfo.views.{view}: give a non-empty list of keypoints, got '
                             f'{members!r}')
        resolved_views[str(view)] = [names[i] for i in
                                     keypoint_indices(names, members, f'metainfo.views.{view}')]
    lengths = {view: len(members) for view, members in resolved_views.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f'metainfo.views: every view lists the same body parts in the same '
                         f'order, but their lengths differ: {lengths}')
    seen: dict[str, str] = {}
    for view, members in resolved_views.items():
        for name in members:
            if name in seen:
                raise ValueError(f'metainfo.views: keypoint {name!r} is in views '
                                 f'{seen[name]!r} and {view!r}')
            seen[name] = view
    return dict(extra, keypoint_names=names, num_keypoints=len(names), views=resolved_views,
                skeleton=_pairs(names, skeleton, 'skeleton'),
                flip_pairs=_pairs(names, flip_pairs, 'flip_pairs'))


def view_keypoints(metainfo: Mapping, views: Optional[Sequence[str]], owner: str
                   ) -> list[list[int]]:
    """Keypoint indices of named views (all declared views when ``views`` is None).

    Raises:
        KeyError: A view the metainfo does not declare, naming ``owner``.
    """
    declared = metainfo.get('views') or {}
    views = list(declared) if views is None else list(views)
    unknown = [v for v in views if v not in declared]
    if unknown:
        raise KeyError(f'{owner}: unknown view(s) {unknown}; the config\'s metainfo.views '
                       f'declares {sorted(declared)}')
    names = metainfo['keypoint_names']
    return [keypoint_indices(names, declared[v], owner) for v in views]
