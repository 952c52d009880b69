"""A loss asking each bone (a pair of keypoints) to keep its length over a clip."""
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor

from posekit.datasets.metainfo import KeypointRef, keypoint_indices
from posekit.models.losses import Loss, keypoint_distance
from posekit.registry import LOSSES


@LOSSES.register_module()
class BoneLengthLoss(Loss):
    """Penalise changes of bone length: ``relu(|l_t - median_t(l)| - epsilon)`` per bone.

    For each pair ``(i, j)`` of keypoints the length ``l_t = ‖p_i(t) - p_j(t)‖`` is
    measured in every frame ``t`` of the input (consecutive frames of a clip, or any batch),
    and compared with its median over the frames. The median is detached (a target, not
    optimised) and taken over the frames where both keypoints are defined; for an even
    count it is the lower of the two middle values (``torch.nanmedian``). ``compute``
    returns ``(T, n_pairs)`` absolute deviations in pixels; a frame where a keypoint of the
    pair is NaN is excluded for that pair. In a 2-D view a bone's projected length changes
    with its 3-D orientation, so give a generous ``epsilon``.

    Args:
        pairs: Keypoint pairs ``[('nose', 'head'), ...]`` by name (or index); None: the
            dataset's skeleton (``metainfo.skeleton``).
        **kwargs: :class:`~posekit.models.losses.Loss` arguments (``epsilon`` in pixels,
            scalar or one per pair; ``loss_weight``, ...).
    """

    name = 'bone_length'
    default_data_info = dict(keypoints='keypoints_pred')

    def __init__(self, pairs: Optional[Sequence[Sequence[KeypointRef]]] = None, **kwargs):
        super().__init__(**kwargs)
        self.pairs = None if pairs is None else [tuple(pair) for pair in pairs]
        #: Index pairs, once resolved by :meth:`bind` (or given as indices).
        self.index_pairs: Optional[list[tuple[int, int]]] = None
        if self.pairs is not None and all(isinstance(k, int) for p in self.pairs for k in p):
            self._set_index_pairs(self.pairs)

    def _set_index_pairs(self, pairs: Sequence[Sequence[int]]) -> None:
        pairs = [tuple(pair) for pair in pairs]
        if not pairs or any(len(p) != 2 or p[0] == p[1] or min(p) < 0 for p in pairs):
            raise ValueError('BoneLengthLoss: pairs must be a non-empty list of pairs of two '
                             f'different keypoints, got {pairs}')
        self.index_pairs = pairs

    def bind(self, codec, metainfo: Optional[dict]) -> None:
        """Resolve keypoint names (or take the skeleton) through the dataset metainfo."""
        if metainfo is None:
            return
        pairs = metainfo.get('skeleton') if self.pairs is None else self.pairs
        self._set_index_pairs([tuple(keypoint_indices(metainfo['keypoint_names'], p,
                                                      'BoneLengthLoss')) for p in pairs or []])

    def compute(self, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Deviation of each frame's bone lengths from their median over the frames.

        Args:
            keypoints: ``(T, K, 2)`` keypoints of T frames.

        Returns:
            ``(deviations (T, n_pairs), valid (T, n_pairs))``.
        """
        if self.index_pairs is None:
            raise RuntimeError('BoneLengthLoss: build it inside a PoseTracker (or call bind) '
                               'to resolve its keypoint names')
        first, second = zip(*self.index_pairs)
        lengths, valid = keypoint_distance(keypoints[:, list(first)], keypoints[:, list(second)])
        defined = torch.where(valid, lengths.detach(), torch.full_like(lengths, float('nan')))
        median = torch.nan_to_num(defined.nanmedian(dim=0).values)
        return (lengths - median).abs(), valid

    def extra_repr(self) -> str:
        return f'pairs={self.pairs}, index_pairs={self.index_pairs}, ' + super().extra_repr()
