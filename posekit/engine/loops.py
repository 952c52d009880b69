"""The semi-supervised training loop: one labeled batch and one unlabeled clip per step."""
from collections.abc import Iterator
from typing import Optional, Union

from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from posekit.registry import LOOPS


class LabeledUnlabeledLoader:
    """Pairs every labeled batch with an unlabeled clip, cycling the shorter source.

    An epoch has ``max(len(labeled), min_steps)`` steps. The labeled loader restarts (a new
    pass of its sampler) whenever it runs out within an epoch; the unlabeled loader keeps
    one iterator across epochs and restarts only when exhausted, advancing the epoch of its
    sampler and dataset so every pass draws new clips.

    Args:
        labeled: Loader of labeled batches.
        unlabeled: Loader of unlabeled clips (one clip per item).
        min_steps: Minimum number of steps per epoch (LP uses 10).
    """

    def __init__(self, labeled: DataLoader, unlabeled: DataLoader, min_steps: int = 10):
        self.labeled = labeled
        self.unlabeled = unlabeled
        self.min_steps = min_steps
        self._unlabeled_iter: Optional[Iterator] = None
        self._unlabeled_passes = 0

    @property
    def dataset(self):
        """The labeled dataset (metainfo, PCA fitting and checkpoints read it)."""
        return self.labeled.dataset

    @property
    def sampler(self):
        """The labeled sampler (mmengine's seed hook sets its epoch)."""
        return self.labeled.sampler

    def __len__(self) -> int:
        return max(len(self.labeled), self.min_steps)

    def _next_clip(self) -> dict:
        while True:
            if self._unlabeled_iter is None:
                for source in (self.unlabeled.sampler, self.unlabeled.dataset):
                    if hasattr(source, 'set_epoch'):
                        source.set_epoch(self._unlabeled_passes)
                self._unlabeled_passes += 1
                self._unlabeled_iter = iter(self.unlabeled)
            try:
                return next(self._unlabeled_iter)
            except StopIteration:
                self._unlabeled_iter = None

    def __iter__(self) -> Iterator[dict]:
        labeled = iter(self.labeled)
        for _ in range(len(self)):
            try:
                batch = next(labeled)
            except StopIteration:
                labeled = iter(self.labeled)
                batch = next(labeled)
            yield dict(batch, unlabeled=self._next_clip())


def _build_loader(runner, loader: Union[DataLoader, dict]) -> DataLoader:
    return runner.build_dataloader(loader, seed=runner.seed) if isinstance(loader, dict) \
        else loader


@LOOPS.register_module()
class SemiSupervisedTrainLoop(EpochBasedTrainLoop):
    """Epoch-based training on labeled batches paired with unlabeled video clips.

    Validation and test use labeled data only (mmengine's ValLoop / TestLoop).

    Args:
        runner: The mmengine Runner.
        dataloader: The labeled ``train_dataloader`` (config or loader).
        max_epochs: Number of epochs.
        unlabeled_dataloader: Config of the clip loader; default: the config's top-level
            ``unlabeled_dataloader``.
        min_steps_per_epoch: An epoch has at least this many steps.
        **kwargs: ``val_begin``, ``val_interval``, ``dynamic_intervals``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, dict], max_epochs: int,
                 unlabeled_dataloader: Optional[Union[DataLoader, dict]] = None,
                 min_steps_per_epoch: int = 10, **kwargs):
        if unlabeled_dataloader is None:
            unlabeled_dataloader = runner.cfg.get('unlabeled_dataloader')
        if unlabeled_dataloader is None:
            raise ValueError('SemiSupervisedTrainLoop needs an unlabeled_dataloader (in '
                             'train_cfg or at the top level of the config)')
        loader = LabeledUnlabeledLoader(_build_loader(runner, dataloader),
                                        _build_loader(runner, unlabeled_dataloader),
                                        min_steps_per_epoch)
        super().__init__(runner, loader, max_epochs, **kwargs)
