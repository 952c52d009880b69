"""The Loss contract every posekit loss follows (docs/contracts.md, "Losses").

A loss implements only :meth:`Loss.compute`, which maps named model outputs to an
element-wise loss tensor (and optionally a validity mask). The base class does the rest, in
Lightning Pose's order: gather arguments through ``data_info`` → compute (NaN handling) →
``relu(loss - epsilon)`` → reduce → weight → log.
"""
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from posekit.codecs import BaseKeypointCodec


class Loss(nn.Module):
    """Base class of all posekit losses.

    Subclasses set ``name`` (used in log keys and the tracker's ``loss_{name}`` entry) and
    ``default_data_info`` (argument of :meth:`compute` → model-output key), and implement
    :meth:`compute`. On a multiview model (separate cameras) a loss with ``view_axis = True``
    receives the outputs with their view axis (``(N, V, ...)``); any other loss receives the
    views folded into the first axis (``(N·V, ...)``), i.e. it applies per view and must treat
    rows as independent frames (``posekit.models.views``).

    Args:
        loss_weight: Plain multiplier of the reduced loss. Defaults to 1.
        log_weight: Lightning Pose's weight parametrisation, converted to
            ``loss_weight = 1 / (2 * exp(log_weight))``; giving both is an error.
        epsilon: Element-wise dead zone, ``relu(loss - epsilon)``: a scalar, or one value per
            keypoint (broadcast over the last dimension of the element-wise loss).
        reduction: ``'mean'`` (over valid elements), ``'sum'`` or ``'none'``.
        data_info: Overrides of ``default_data_info`` entries (argument → output key, or
            None to leave an optional argument out).
        name: Overrides the class's ``name`` (e.g. to use one loss class twice).
    """

    name: str = 'loss'
    default_data_info: dict[str, str] = {}
    #: Whether :meth:`compute` takes a multiview model's outputs with their view axis.
    view_axis: bool = False

    def __init__(self, loss_weight: Optional[float] = None, log_weight: Optional[float] = None,
                 epsilon: Union[float, Sequence[float]] = 0., reduction: str = 'mean',
                 data_info: Optional[dict[str, str]] = None, name: Optional[str] = None):
        super().__init__()
        if loss_weight is not None and log_weight is not None:
            raise ValueError(f'{type(self).__name__}: give loss_weight or log_weight, not both')
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError(f'{type(self).__name__}: reduction must be mean, sum or none, '
                             f'got {reduction!r}')
        if log_weight is not None:
            loss_weight = 1. / (2. * math.exp(log_weight))
        self.loss_weight = 1. if loss_weight is None else float(loss_weight)
        #: Multiplier set by training hooks (e.g. the unsupervised warm-up), 1 by default.
        self.weight_scale = 1.
        self.reduction = reduction
        if name is not None:
            self.name = name
        unknown = set(data_info or {}) - set(self.default_data_info)
        if unknown:
            raise KeyError(f'{type(self).__name__}: data_info names unknown argument(s) '
                           f'{sorted(unknown)}; arguments are {sorted(self.default_data_info)}')
        self.data_info = {**self.default_data_info, **(data_info or {})}
        self.register_buffer('epsilon', torch.as_tensor(epsilon, dtype=torch.float32),
                             persistent=False)

    def bind(self, codec: 'BaseKeypointCodec', metainfo: Optional[dict]) -> None:
        """Receive the model's codec and the dataset metainfo, once, when the model is built.

        The base class needs neither; losses that depend on the pixel convention (the codec)
        or take keypoint / view names (resolved through ``metainfo``, see
        ``posekit.datasets.metainfo``) override this.

        Args:
            codec: The model's codec.
            metainfo: ``keypoint_names``, ``views``, ``skeleton``, ``flip_pairs``; None when
                the model was built without a dataset.
        """

    @property
    def weight(self) -> float:
        """The effective weight: ``loss_weight`` times the hook-controlled ``weight_scale``."""
        return self.loss_weight * self.weight_scale

    def check_outputs(self, available: Sequence[str], where: str = 'the model') -> None:
        """Fail early when a ``data_info`` key is not among the outputs a model produces.

        Raises:
            KeyError: naming the loss, the missing key and the available keys.
        """
        missing = [v for v in self.data_info.values() if v is not None and v not in available]
        if missing:
            raise KeyError(
                f'{type(self).__name__} ({self.name!r}) needs output key(s) {missing} '
                f'(data_info={self.data_info}), but {where} produces {sorted(available)}')

    def compute(self, **kwargs: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        """Element-wise loss. Subclasses implement this.

        Returns:
            The element-wise loss (its last dimension indexes keypoints when ``epsilon`` is
            per keypoint), or a tuple ``(loss, valid)`` where ``valid`` is a boolean mask of
            the same shape; invalid elements are excluded from the mean. Must not contain NaN
            where valid, and must not route gradients through NaN.
        """
        raise NotImplementedError(f'{type(self).__name__} must implement compute()')

    def gather(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """Pick the :meth:`compute` arguments out of ``outputs`` through ``data_info``.

        An argument mapped to None is left out (for optional arguments, e.g. the
        confidences of the temporal loss on a regression model, which has none).
        """
        try:
            return {arg: outputs[key] for arg, key in self.data_info.items()
                    if key is not None}
        except KeyError as err:
            raise KeyError(f'{type(self).__name__} ({self.name!r}) needs output key '
                           f'{err.args[0]!r}; available: {sorted(outputs)}') from None

    def reduce(self, loss: Tensor, valid: Optional[Tensor]) -> Tensor:
        """Reduce the rectified element-wise loss; an all-invalid input gives 0 with grad."""
        if valid is None:
            valid = torch.ones_like(loss, dtype=torch.bool)
        loss = torch.where(valid, loss, torch.zeros_like(loss))
        if self.reduction == 'none':
            return loss
        total = loss.sum()
        if self.reduction == 'sum':
            return total
        return total / valid.sum().clamp(min=1)

    def forward(self, outputs: dict[str, Tensor], stage: str = 'train'
                ) -> tuple[Tensor, dict[str, Tensor]]:
        """Compute the weighted loss from model outputs.

        Args:
            outputs: Model outputs keyed by the output vocabulary (``posekit.models.outputs``).
            stage: ``'train'``, ``'val'`` or ``'test'``; prefixes the log keys.

        Returns:
            ``(value, logs)``: the weighted loss (a scalar unless ``reduction='none'``) and
            ``{'{stage}/{name}': raw reduced value, '{stage}/{name}_weight': weight}``.
        """
        result = self.compute(**self.gather(outputs))
        loss, valid = result if isinstance(result, tuple) else (result, None)
        epsilon = self.epsilon.to(loss)
        if epsilon.numel() > 1 or epsilon.item() != 0:
            loss = torch.relu(loss - epsilon)
        raw = self.reduce(loss, valid)
        weight = self.weight
        logs = {f'{stage}/{self.name}': raw.detach().mean(),
                f'{stage}/{self.name}_weight': torch.tensor(weight)}
        return weight * raw, logs

    def extra_repr(self) -> str:
        return (f'name={self.name!r}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction!r}, data_info={self.data_info}')
