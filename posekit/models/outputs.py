"""The output vocabulary: every key a model output or a target may have (docs/contracts.md).

Heads return their predictions in this vocabulary (input-space keypoints); the tracker adds
the frame-pixel versions and, on labeled batches, the targets. Losses name these keys in
their ``data_info``. A context head's single-frame and multi-frame versions of a key carry
the suffixes ``_sf`` and ``_mf``; the unsuffixed key is their per-keypoint combination.

A multiview model (separate cameras, the metainfo's ``view_names``) gives every key with
``view_axis`` a view axis after the first one (:attr:`OutputKey.multiview_shape`, e.g.
``keypoints_pred (N, V, K, 2)`` in each view's frame pixels); see ``posekit.models.views``.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class OutputKey:
    """One entry of the vocabulary.

    Attributes:
        shape: Tensor shape, ``N`` samples (or ``T`` clip frames), ``K`` keypoints,
            ``h × w`` the heatmap size.
        space: Where coordinates live: ``'input'`` (the model input after augmentation),
            ``'frame'`` (the original video frame, frame keypoint order), ``'heatmap'``,
            ``'normalised'`` or ``'-'`` for values without coordinates.
        meaning: What the tensor holds.
        view_axis: Whether a multiview model's tensor has a view axis ``V`` after the first
            (every key so far: the views of a sample are separate images of one batch).
    """

    shape: str
    space: str
    meaning: str
    view_axis: bool = True

    @property
    def multiview_shape(self) -> str:
        """The shape on a multiview model: ``(N, K, 2)`` → ``(N, V, K, 2)``."""
        if not self.view_axis:
            return self.shape
        first, rest = self.shape[1:].split(', ', 1)
        return f'({first}, V, {rest}'


#: Key → description. Keys ending in ``_targ`` exist on labeled batches only.
OUTPUT_KEYS: dict[str, OutputKey] = {
    'heatmaps_pred': OutputKey('(N, K, h, w)', 'heatmap',
                               'predicted heatmaps, each summing to 1'),
    'keypoints_pred_augmented': OutputKey('(N, K, 2)', 'input',
                                          'predicted (x, y) in the augmented input'),
    'keypoints_pred': OutputKey('(N, K, 2)', 'frame',
                                'predicted (x, y) mapped back to the original frame'),
    'confidences': OutputKey('(N, K)', '-', 'confidence in [0, 1] (heatmap heads)'),
    'heatmaps_targ': OutputKey('(N, K, h, w)', 'heatmap',
                               "the codec's target heatmaps (zero map where unlabeled)"),
    'keypoints_normalised_targ': OutputKey('(N, K, 2)', 'normalised',
                                           "the codec's normalised targets, NaN unlabeled"),
    'keypoints_targ_augmented': OutputKey('(N, K, 2)', 'input',
                                          'labels in the augmented input, NaN unlabeled'),
    'keypoints_targ': OutputKey('(N, K, 2)', 'frame', 'labels in frame pixels, NaN unlabeled'),
}

#: Suffixes of a context head's single-frame and multi-frame outputs.
CONTEXT_SUFFIXES = ('_sf', '_mf')

#: Prediction keys in input pixels and the frame-pixel key the tracker derives from each.
FRAME_KEYS = {'keypoints_pred_augmented': 'keypoints_pred'}

#: Targets every labeled batch has, whatever the codec.
LABEL_KEYS = ('keypoints_targ', 'keypoints_targ_augmented')


def base_key(key: str) -> str:
    """``key`` without a context suffix (``heatmaps_pred_sf`` → ``heatmaps_pred``)."""
    for suffix in CONTEXT_SUFFIXES:
        if key.endswith(suffix):
            return key[:-len(suffix)]
    return key


def check_vocabulary(keys: tuple[str, ...], owner: str) -> None:
    """Refuse keys outside the vocabulary.

    Raises:
        ValueError: Naming the owner, the unknown keys and the vocabulary.
    """
    unknown = [k for k in keys if base_key(k) not in OUTPUT_KEYS]
    if unknown:
        raise ValueError(f'{owner}: output key(s) {unknown} are not in the output vocabulary '
                         f'{sorted(OUTPUT_KEYS)} (posekit/models/outputs.py); add them there '
                         'and to docs/contracts.md')
