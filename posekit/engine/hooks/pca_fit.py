"""Fit the model's fittable losses (PCA and plug-ins) on the training labels before training."""
import numpy as np
from mmengine.dist import broadcast
from mmengine.hooks import Hook

from posekit.models.losses.fittable import fittable_losses
from posekit.registry import HOOKS


def _summary(loss) -> str:
    """``': <loss.describe()>'`` for losses that describe their fit, else ``''``."""
    describe = getattr(loss, 'describe', None)
    return f': {describe()}' if callable(describe) else ''


def training_keypoints(dataset) -> np.ndarray:
    """The labels of a labeled-frames dataset without loading images.

    Args:
        dataset: A ``LabeledFramesDataset`` (or a wrapper exposing it as ``.labeled``), or a
            ``MultiviewLabeledFramesDataset``.

    Returns:
        ``(N, K, 2)`` float32 keypoints in frame pixels, NaN for unlabeled; ``(N, V, K, 2)``
        for a multiview dataset.
    """
    dataset = getattr(dataset, 'labeled', dataset)
    return np.stack([dataset.get_data_info(i)['keypoints'] for i in range(len(dataset))])


@HOOKS.register_module()
class PCAFitHook(Hook):
    """Fit every fittable loss of the model on the train split's labels (frame pixels).

    A loss is fittable when it follows :class:`~posekit.models.losses.FittableLoss` (a
    callable ``fit(keypoints)`` and a boolean ``fitted``): the PCA losses, and plug-in losses
    of any class. Runs in ``before_train``. mmengine's ``Runner.train`` restores checkpoints
    (``load_or_resume``) before the loop calls ``before_train``, so a loss restored from a
    checkpoint (``--resume`` or ``load_from``) is already fitted and is kept as saved: its fit
    is part of the model's state. Were the order reversed, the fit would simply be overwritten
    by the checkpoint's buffers; either way the checkpoint's fit is used.

    In distributed training every rank fits on the same (unsharded) labels, which gives the
    same fit; the fitted buffers are then broadcast from rank 0 so the ranks agree exactly.

    Multiview labels ``(N, V, K, 2)`` go as they are to losses with ``view_axis = True``
    (the multi-view PCA) and with the views folded, ``(N·V, K, 2)``, to the others, which
    apply per view (as the tracker hands them outputs).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        keypoints = None
        for loss in fittable_losses(runner.model):
            name = getattr(loss, 'name', type(loss).__name__)
            if loss.fitted:
                runner.logger.info(f'PCAFitHook: {name} already fitted (e.g. restored from a '
                                   f'checkpoint), kept{_summary(loss)}')
                continue
            if keypoints is None:
                keypoints = training_keypoints(runner.train_dataloader.dataset)
            loss.fit(keypoints if keypoints.ndim == 3 or getattr(loss, 'view_axis', False)
                     else keypoints.reshape(-1, *keypoints.shape[2:]))
            for buffer in loss.buffers():  # every rank fits the same labels; make sure
                broadcast(buffer, src=0)
            runner.logger.info(f'PCAFitHook: fitted {name} on the labels of {len(keypoints)} '
                               f'training frames{_summary(loss)}')
