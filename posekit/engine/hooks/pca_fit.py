"""Fit the model's PCA losses on the training labels before training starts."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from posekit.models.losses.pca import PCALoss
from posekit.registry import HOOKS


def find_pca_losses(model) -> list[PCALoss]:
    """The PCA losses in a (possibly wrapped) model's ``losses`` and ``unsupervised_losses``."""
    if is_model_wrapper(model):
        model = model.module
    return [loss for attr in ('losses', 'unsupervised_losses')
            for loss in getattr(model, attr, ()) if isinstance(loss, PCALoss)]


def training_keypoints(dataset) -> np.ndarray:
    """The labels of a labeled-frames dataset without loading images.

    Args:
        dataset: A ``LabeledFramesDataset`` (or a wrapper exposing it as ``.labeled``).

    Returns:
        ``(N, K, 2)`` float32 keypoints in frame pixels, NaN for unlabeled.
    """
    dataset = getattr(dataset, 'labeled', dataset)
    return np.stack([dataset.get_data_info(i)['keypoints'] for i in range(len(dataset))])


@HOOKS.register_module()
class PCAFitHook(Hook):
    """Fit every PCA loss of the model on the train split's labels (frame pixels).

    Runs in ``before_train``. mmengine's ``Runner.train`` restores checkpoints
    (``load_or_resume``) before the loop calls ``before_train``, so a loss restored from a
    checkpoint (``--resume`` or ``load_from``) is already fitted and is kept as saved: its PCA
    is part of the model's state. Were the order reversed, the fit would simply be overwritten
    by the checkpoint's buffers; either way the checkpoint's PCA is used.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        losses = find_pca_losses(runner.model)
        keypoints = None
        for loss in losses:
            if loss.fitted:
                runner.logger.info(f'PCAFitHook: {loss.name} already fitted (e.g. restored '
                                   f'from a checkpoint), kept: {loss.describe()}')
                continue
            if keypoints is None:
                keypoints = training_keypoints(runner.train_dataloader.dataset)
            loss.fit(keypoints)
            runner.logger.info(f'PCAFitHook: fitted {loss.name} on the labels of '
                               f'{len(keypoints)} training frames: {loss.describe()}')
