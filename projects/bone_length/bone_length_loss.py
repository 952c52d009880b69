"""A loss asking each bone (a pair of keypoints) to keep its length over a clip."""
from collections.abc import Sequence

import torch
from torch import Tensor

from posekit.models.losses import Loss, keypoint_distance
from posekit.registry import LOSSES


@LOSSES.register_module()
class BoneLengthLoss(Loss):
    """Penalise changes of bone length: ``relu(|l_t - median_t(l)| - epsilon)`` per bone.

    For each pair ``(i, j)`` of keypoint indices the length ``l_t = ‖p_i(t) - p_j(t)‖`` is
    measured in every frame ``t`` of the input (consecutive frames of a clip, or any batch),
    and compared with its median over the frames. The median is detached (a target, not
    optimised) and taken over the frames where both keypoints are defined; for an even
    count it is the lower of the two middle values (``torch.nanmedian``). ``compute``
    returns ``(T, n_pairs)`` absolute deviations in pixels; a frame where a keypoint of the
    pair is NaN is excluded for that pair. In a 2-D view a bone's projected length changes
    with its 3-D orientation, so give a generous ``epsilon``.

    Args:
        pairs: Keypoint index pairs ``[(i, j), ...]`` (indices into the K keypoints, as in
            the label file's column order).
        **kwargs: :class:`~posekit.models.losses.Loss` arguments (``epsilon`` in pixels,
            scalar or one per pair; ``loss_weight``, ...).
    """

    name = 'bone_length'
    default_data_info = dict(keypoints='keypoints_pred')

    def __init__(self, pairs: Sequence[Sequence[int]], **kwargs):
        super().__init__(**kwargs)
        pairs = [tuple(int(k) for k in pair) for pair in pairs]
        if not pairs or any(len(p) != 2 or p[0] == p[1] or min(p) < 0 for p in pairs):
            raise ValueError('BoneLengthLoss: pairs must be a non-empty list of pairs of two '
                             f'different non-negative keypoint indices, got {pairs}')
        self.pairs = pairs

    def compute(self, keypoints: Tensor) -> tuple[Tensor, Tensor]:
        """Deviation of each frame's bone lengths from their median over the frames.

        Args:
            keypoints: ``(T, K, 2)`` keypoints of T frames.

        Returns:
            ``(deviations (T, n_pairs), valid (T, n_pairs))``.
        """
        first, second = zip(*self.pairs)
        lengths, valid = keypoint_distance(keypoints[:, list(first)], keypoints[:, list(second)])
        defined = torch.where(valid, lengths.detach(), torch.full_like(lengths, float('nan')))
        median = torch.nan_to_num(defined.nanmedian(dim=0).values)
        return (lengths - median).abs(), valid

    def extra_repr(self) -> str:
        return f'pairs={self.pairs}, ' + super().extra_repr()
