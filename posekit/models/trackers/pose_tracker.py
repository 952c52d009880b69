"""PoseTracker: backbone + head + lists of losses, supervised or semi-supervised."""
from collections.abc import Sequence
from typing import Optional, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from posekit.codecs import BaseKeypointCodec, build_codec
from posekit.datasets.metainfo import plain
from posekit.registry import LOSSES, MODELS
from ..geometry import input_to_frame
from ..heads import BaseHead
from ..outputs import FRAME_KEYS, LABEL_KEYS
from ..views import PER_VIEW_META, fold_outputs, fold_views, stack_view_outputs, unfold_views
from .batch_norm import frozen_running_stats
from .checkpoint_shapes import check_state_dict_shapes


@MODELS.register_module()
class PoseTracker(BaseModel):
    """A pose tracker assembled from registered parts (docs/contracts.md).

    ``forward(mode='loss')`` runs the labeled batch through the model and every loss in
    ``losses``; when a batch also carries an ``unlabeled`` clip and ``unsupervised_losses``
    is not empty, the clip's outputs go through those. Supervised training is simply
    ``unsupervised_losses=[]``.

    Context heads (``head.num_context = c > 0``, e.g. :class:`ContextHeatmapHead`) predict a
    frame from the window of its ``2c + 1`` neighbours. Labeled batches then hold frame
    stacks ``(N, 2c + 1, 3, H, W)`` (``LabeledFramesDataset(context=c)``), whose N·(2c + 1)
    frames go through the backbone in one pass. A clip of T consecutive frames goes through
    the backbone once per frame, and its features are cut into sliding windows
    (:meth:`predict_sequence`): training uses only the ``T - 2c`` full windows (frames
    ``c … T-1-c``; the first and last ``c`` frames of a clip give no output), so unsupervised
    losses never see padded windows; the outputs are consecutive frames of one clip.

    The clip has its own backbone pass after the labeled batch, in batch-norm train mode
    (normalised by its own statistics) without updating the running statistics, which stay
    the labeled frames' (as Lightning Pose, whose labeled and unlabeled batches are separate
    passes). Two alternatives measured worse on the toy data (docs/benchmarks.md): labeled
    frames and clip in one pass cost 1.6 px on held-out frames even with negligible
    unsupervised weights, and the clip normalised by running statistics (the inference
    network) let the unsupervised losses collapse the predictions.

    A multiview model (metainfo ``view_names``: separate cameras) takes labeled samples with a
    view axis (``inputs (N, V, 3, H, W)``, ``input_from_frame (N, V, 3, 3)``, ...) and clips
    ``(V, T, 3, H, W)`` (or ``(B, V, T, 3, H, W)``) as one backbone batch; every output has the
    view axis after the first (``keypoints_pred (N, V, K, 2)`` in each view's frame pixels).
    Losses with ``view_axis = True`` receive them so, the others with the views folded into
    the first axis, i.e. per view (``posekit.models.views``).

    The config's codec (``codec``) goes to the head, which decodes its outputs with it, and
    to every loss through :meth:`Loss.bind <posekit.models.losses.Loss.bind>`, together with
    the dataset metainfo (``metainfo``: keypoint names, named views, skeleton), through which
    losses resolve keypoint and view names.

    Args:
        backbone: Backbone config (``MODELS``).
        head: Head config (``MODELS``, a :class:`BaseHead`); ``in_channels`` defaults to the
            backbone's, ``num_keypoints`` to the metainfo's.
        codec: Codec config (``KEYPOINT_CODECS``) or instance.
        metainfo: Dataset metainfo (``posekit.datasets.metainfo.build_metainfo``), or None;
            its ``view_names`` (separate cameras) make the model multiview.
        losses: Supervised loss configs (``LOSSES``), applied to labeled outputs.
        unsupervised_losses: Loss configs applied to unlabeled-clip outputs.
        data_preprocessor: Config of the batch preprocessor.
        channels_last: Keep convolution weights in channels-last memory format.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, backbone: dict, head: dict,
                 codec: Union[dict, BaseKeypointCodec, None] = None,
                 metainfo: Optional[dict] = None, losses: Sequence[dict] = (),
                 unsupervised_losses: Sequence[dict] = (),
                 data_preprocessor: Optional[dict] = None, channels_last: bool = False,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='PoseDataPreprocessor', channels_last=channels_last)
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.codec = build_codec(codec)
        self.metainfo = None if metainfo is None else plain(metainfo)
        #: Camera views of a multiview model (the view axis), None for single-view models.
        self.view_names: Optional[list[str]] = None if metainfo is None or \
            metainfo.get('view_names') is None else list(metainfo['view_names'])
        head = dict(head, codec=self.codec)
        if head.get('in_channels') is None:
            head['in_channels'] = self.backbone.out_channels
        if head.get('num_keypoints') is None and metainfo is not None:
            head['num_keypoints'] = metainfo['num_keypoints']
        self.head = MODELS.build(head)
        if not isinstance(self.head, BaseHead):
            raise TypeError(f'PoseTracker: the head must derive from posekit.models.heads.'
                            f'BaseHead (docs/adding_a_head.md), got {type(self.head).__name__}')
        self.losses = nn.ModuleList(LOSSES.build(cfg) for cfg in losses)
        self.unsupervised_losses = nn.ModuleList(LOSSES.build(cfg) for cfg in unsupervised_losses)
        for loss in [*self.losses, *self.unsupervised_losses]:
            loss.bind(self.codec, metainfo)
        self._check_losses()
        if channels_last:
            self.to(memory_format=torch.channels_last)

    # -- construction checks -------------------------------------------------------------
    @property
    def output_keys(self) -> list[str]:
        """Keys of the outputs on unlabeled data (predictions only)."""
        keys = list(self.head.output_keys)
        for key in self.head.output_keys:
            for src, dst in FRAME_KEYS.items():
                if key.startswith(src):
                    keys.append(dst + key[len(src):])
        return keys

    @property
    def labeled_keys(self) -> list[str]:
        """Keys of the outputs on labeled batches (predictions and targets)."""
        return self.output_keys + list(LABEL_KEYS) + list(self.head.target_keys)

    def _check_losses(self) -> None:
        names = [loss.name for loss in [*self.losses, *self.unsupervised_losses]]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f'PoseTracker: loss names must be unique, {duplicated} repeat; '
                             "give one of them name='...'")
        for loss in self.losses:
            loss.check_outputs(self.labeled_keys, f'{type(self.head).__name__} on labeled data')
        for loss in self.unsupervised_losses:
            loss.check_outputs(self.output_keys,
                               f'{type(self.head).__name__} on unlabeled video')

    # -- forward -------------------------------------------------------------------------
    @property
    def num_context(self) -> int:
        """Frames on each side of a predicted frame the head needs (0: single-frame head)."""
        return self.head.num_context

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Backbone features, one backbone pass for all frames.

        Args:
            inputs: ``(N, 3, H, W)`` normalised images, or ``(..., 3, H, W)`` with more leading
                axes (frame stacks ``(N, F, ...)``, views, clips).

        Returns:
            ``(N, C, H/32, W/32)``, or ``(..., C, H/32, W/32)`` with the inputs' leading axes.
        """
        if inputs.dim() > 4:
            return self.backbone(inputs.flatten(0, -4)).unflatten(0, inputs.shape[:-3])
        return self.backbone(inputs)

    def _check_sample_inputs(self, inputs: Tensor) -> None:
        """Refuse frame stacks for single-frame heads and single frames for context heads."""
        if self.num_context and inputs.dim() != 5:
            frames = 2 * self.num_context + 1
            raise ValueError(
                f'{type(self.head).__name__} predicts a frame from {frames} consecutive '
                f'frames: give samples as frame stacks (N, {frames}, 3, H, W) (set '
                f'context={self.num_context} in LabeledFramesDataset), or consecutive video '
                f'frames (B, 3, H, W) to predict_sequence; got {tuple(inputs.shape)}')
        if not self.num_context and inputs.dim() != 4:
            raise ValueError(f'{type(self.head).__name__} predicts single frames (N, 3, H, W), '
                             f'got {tuple(inputs.shape)} (set context=0 in the dataset)')

    def predict_outputs(self, inputs: Tensor, input_from_frame: Tensor,
                        flip_indices: Optional[Tensor] = None) -> dict[str, Tensor]:
        """Head outputs plus their frame-pixel versions for independent samples.

        Args:
            inputs: ``(N, 3, H, W)`` normalised images, or ``(N, 2c + 1, 3, H, W)`` frame
                stacks for a context head (outputs are the centre frame's).
            input_from_frame: ``(N, 3, 3)`` affine from frame to input pixels.
            flip_indices: ``(N, K)`` keypoint permutation of flipped inputs, or None.

        Returns:
            The head's outputs (input space) plus ``keypoints_pred*`` (frame pixels) and
            ``confidences*`` re-ordered to frame keypoint order.
        """
        self._check_sample_inputs(inputs)
        return self.frame_outputs(self.extract_feat(inputs), input_from_frame, flip_indices)

    def predict_sequence(self, inputs: Tensor, input_from_frame: Tensor,
                         pad: Optional[str] = 'edge') -> dict[str, Tensor]:
        """Outputs of consecutive frames, each frame through the backbone exactly once.

        A single-frame head predicts every frame. A context head predicts frame ``t`` from
        the features of frames ``t - c … t + c``: with ``pad='edge'`` the first and last
        frames' features are repeated ``c`` times at each end, so every frame gets an output
        (as repeating the edge images would, at no extra backbone cost); with ``pad=None``
        only the ``B - 2c`` full windows are predicted, for frames ``c … B-1-c`` (training
        clips; or a caller that overlaps its batches by ``2c`` frames). Gradients flow: wrap
        the call in ``torch.no_grad()`` for inference.

        Args:
            inputs: ``(B, 3, H, W)`` normalised consecutive frames of one video.
            input_from_frame: ``(B, 3, 3)`` affine from frame to input pixels per frame.
            pad: ``'edge'`` or None (context heads only; ignored by single-frame heads).

        Returns:
            Outputs as :meth:`predict_outputs`, ``B`` rows (``B - 2c`` for a context head
            with ``pad=None``), in frame order.

        Raises:
            ValueError: ``inputs`` is not 4-D, ``pad`` is unknown, or ``pad=None`` and a
                context head gets no full window (``B <= 2c``).
        """
        if inputs.dim() != 4:
            raise ValueError(f'predict_sequence expects consecutive frames (B, 3, H, W), got '
                             f'{tuple(inputs.shape)}')
        if pad not in ('edge', None):
            raise ValueError(f"predict_sequence: pad must be 'edge' or None, got {pad!r}")
        return self.sequence_outputs(self.extract_feat(inputs), input_from_frame, pad)

    def sequence_outputs(self, feats: Tensor, input_from_frame: Tensor,
                         pad: Optional[str] = 'edge') -> dict[str, Tensor]:
        """Outputs of consecutive frames from their backbone features.

        :meth:`predict_sequence` after its backbone pass: callers that keep the features of
        frames they already passed through the backbone (video inference, whose batches
        overlap by ``2c`` frames) call this directly.

        Args:
            feats: ``(B, C, h, w)`` backbone features of consecutive frames.
            input_from_frame: ``(B, 3, 3)`` affine from frame to input pixels per frame.
            pad: ``'edge'`` or None, as in :meth:`predict_sequence`.

        Returns:
            Outputs as :meth:`predict_sequence`.
        """
        if pad not in ('edge', None):
            raise ValueError(f"predict_sequence: pad must be 'edge' or None, got {pad!r}")
        if not self.num_context:
            return self.frame_outputs(feats, input_from_frame)
        c = self.num_context
        if pad == 'edge':
            feats = torch.cat([feats[:1].expand(c, *feats.shape[1:]), feats,
                               feats[-1:].expand(c, *feats.shape[1:])])
        elif len(feats) <= 2 * c:
            raise ValueError(f'{type(self.head).__name__} needs at least {2 * c + 1} '
                             f'consecutive frames for one window, got {len(feats)}')
        else:
            input_from_frame = input_from_frame[c:len(feats) - c]
        return self.frame_outputs(feats, input_from_frame, sequence=True)

    def frame_outputs(self, feats: Tensor, input_from_frame: Tensor,
                      flip_indices: Optional[Tensor] = None, sequence: bool = False
                      ) -> dict[str, Tensor]:
        """The head's outputs on features, plus their frame-pixel versions.

        Args:
            feats: What the head takes: ``(N, C, h, w)``, or ``(N, 2c + 1, C, h, w)`` windows;
                with ``sequence`` the ``(N + 2c, C, h, w)`` features of consecutive frames,
                whose ``N`` full windows a context head predicts
                (``head.predict_sequence``, per-frame work shared between windows).
            input_from_frame: ``(N, 3, 3)`` affine from frame to input pixels.
            flip_indices: ``(N, K)`` keypoint permutation of flipped inputs, or None.
            sequence: See ``feats``.

        Returns:
            See :meth:`predict_outputs`.
        """
        outputs = self.head.predict_sequence(feats) if sequence else self.head.predict(feats)
        for key in list(outputs):
            for src, dst in FRAME_KEYS.items():
                if key.startswith(src):
                    outputs[dst + key[len(src):]] = input_to_frame(
                        outputs[key], input_from_frame, flip_indices)
        if flip_indices is not None:
            for key in [k for k in outputs if k.startswith('confidences')]:
                outputs[key] = input_to_frame(outputs[key], input_from_frame, flip_indices)
        return outputs

    def labeled_outputs(self, inputs: Tensor, data_samples: dict) -> dict[str, Tensor]:
        """Outputs and targets of a labeled batch (the ``data_info`` vocabulary).

        Args:
            inputs: Labeled images, as :meth:`predict_outputs` takes them, or with a view
                axis ``(N, V, ...)`` (multiview samples, ``input_from_frame (N, V, 3, 3)``).
            data_samples: Collated targets (``keypoints``, ``input_from_frame``, ...).

        Returns:
            Model outputs plus ``keypoints_targ`` / ``keypoints_targ_augmented`` and the
            codec's targets the batch holds (``heatmaps`` → ``heatmaps_targ``); each
            ``(N, V, ...)`` for multiview samples.
        """
        if data_samples['input_from_frame'].dim() == 4:
            n, v = data_samples['input_from_frame'].shape[:2]
            return unfold_views(self.labeled_outputs(inputs.flatten(0, 1),
                                                     fold_views(data_samples, n, v)), v)
        matrix, flip = data_samples['input_from_frame'], data_samples.get('flip_indices')
        outputs = self.predict_outputs(inputs, matrix, flip)
        keypoints = data_samples['keypoints'].float()
        outputs['keypoints_targ_augmented'] = keypoints
        outputs['keypoints_targ'] = input_to_frame(keypoints, matrix, flip)
        for key in self.codec.target_keys:
            if key in data_samples:
                outputs[f'{key}_targ'] = data_samples[key]
        return outputs

    def forward(self, inputs: Tensor, data_samples: Optional[dict] = None,
                mode: str = 'tensor', unlabeled: Optional[dict] = None
                ) -> Union[dict, list]:
        """mmengine's entry point: ``mode`` is ``'loss'``, ``'predict'`` or ``'tensor'``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples, unlabeled)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            self._check_sample_inputs(inputs)
            return self.head.predict(self.extract_feat(inputs))
        raise ValueError(f"PoseTracker: mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def loss(self, inputs: Tensor, data_samples: dict, unlabeled: Optional[dict] = None
             ) -> dict[str, Tensor]:
        """Weighted losses (``loss_{name}``) and raw logs of a training step.

        Args:
            inputs: ``(N, 3, H, W)`` labeled images, or ``(N, 2c + 1, 3, H, W)`` frame stacks
                for a context head (targets are the centre frame's).
            data_samples: Collated labeled targets (``keypoints``, ``input_from_frame``, ...).
            unlabeled: Optional clip ``dict(inputs (T, 3, H, W), data_samples=dict(
                input_from_frame (T, 3, 3)))``, or B clips (``(B, T, 3, H, W)``,
                ``(B, T, 3, 3)``; losses averaged over clips), passed through the backbone
                after the labeled batch, in batch-norm train mode without updating running
                statistics (see the class docstring); a context head gives outputs for its
                frames ``c … T-1-c`` only (see :meth:`predict_sequence` with ``pad=None``).
                Skipped while every unsupervised weight is 0.

        Returns:
            ``loss_{name}`` entries (summed by mmengine) and log entries without "loss" in
            their key: each loss's raw value and weight, and the batch's pixel error.
        """
        results: dict[str, Tensor] = {}
        # before the warm-up hook ramps them in (all weights 0) the clip costs nothing
        semi = unlabeled is not None and any(loss.weight > 0
                                             for loss in self.unsupervised_losses)
        outputs = self.labeled_outputs(inputs, data_samples)
        self._add_losses(self.losses, outputs, results,
                         viewed=data_samples['input_from_frame'].dim() == 4)
        error = (outputs['keypoints_pred'] - outputs['keypoints_targ']).norm(dim=-1)
        results['pixel_error'] = error[~error.isnan()].mean().detach() \
            if (~error.isnan()).any() else error.new_tensor(0.)
        if semi:
            results.update(self._clip_losses(unlabeled['inputs'],
                                             unlabeled['data_samples']['input_from_frame']))
        return results

    def _clip_losses(self, clips: Tensor, input_from_frame: Tensor) -> dict[str, Tensor]:
        """Unsupervised losses and logs of unlabeled clips, averaged over the clips.

        All frames of all clips go through the backbone in one pass, normalised by their own
        batch statistics, leaving the running statistics (used at inference) to the labeled
        frames; each clip is then a separate sequence for the head and the losses.

        Args:
            clips: ``(T, 3, H, W)`` one clip or ``(B, T, 3, H, W)`` clips of T frames; for a
                multiview model ``(V, T, 3, H, W)`` or ``(B, V, T, 3, H, W)`` (each view a
                sequence; outputs ``(T', V, ...)``).
            input_from_frame: ``(T, 3, 3)`` or ``(B, T, 3, 3)`` affines (``(B, V, T, 3, 3)``
                multiview).

        Returns:
            ``loss_{name}`` entries and raw logs, each the mean over the clips.

        Raises:
            ValueError: A multiview model gets clips of another number of views.
        """
        views = len(self.view_names) if self.view_names else 0
        if clips.dim() == 4 + bool(views):
            clips, input_from_frame = clips[None], input_from_frame[None]
        if views and (clips.dim() != 6 or clips.shape[1] != views):
            raise ValueError(f'PoseTracker: the views {self.view_names} take clips (B, '
                             f'{views}, T, 3, H, W), got {tuple(clips.shape)}')
        with frozen_running_stats(self):
            feats = self.extract_feat(clips)
        per_clip: list[dict[str, Tensor]] = []
        for clip_feats, matrix in zip(feats, input_from_frame):
            per_clip.append({})
            if views:
                outputs = stack_view_outputs([self.sequence_outputs(f, m, pad=None)
                                              for f, m in zip(clip_feats, matrix)])
            else:
                outputs = self.sequence_outputs(clip_feats, matrix, pad=None)
            self._add_losses(self.unsupervised_losses, outputs, per_clip[-1], bool(views))
        return {key: torch.stack([r[key] for r in per_clip]).mean(0) for key in per_clip[0]}

    @staticmethod
    def _add_losses(losses: nn.ModuleList, outputs: dict, results: dict,
                    viewed: bool = False) -> None:
        """Add each loss's ``loss_{name}`` and logs; ``viewed``: outputs have a view axis."""
        folded = fold_outputs(outputs) if viewed else outputs
        for loss in losses:
            value, logs = loss(outputs if loss.view_axis else folded, stage='train')
            results[f'loss_{loss.name}'] = value
            for key, log in logs.items():
                results[key.split('/', 1)[1]] = log

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: dict) -> list[dict]:
        """Frame-pixel predictions, one dict per sample (what metrics receive).

        Args:
            inputs: As :meth:`predict_outputs`, or with a view axis (``(N, V, 3, H, W)``).
            data_samples: Collated samples (``input_from_frame``, optional ``keypoints``).

        Returns:
            Per sample: ``keypoints (K, 2)`` frame px, ``confidences (K,)``, and when labels
            are present ``keypoints_gt (K, 2)`` frame px (NaN unlabeled); ``img_path``,
            ``set`` and ``sample_idx`` are copied from the data sample when present. With a
            view axis: ``(V, K, 2)`` / ``(V, K)`` in each view's frame pixels, and the
            per-view ``img_path``, ``image`` and ``view_names`` as lists of ``V``.
        """
        matrix = data_samples['input_from_frame']
        viewed = matrix.dim() == 4
        samples = fold_views(data_samples, *matrix.shape[:2]) if viewed else data_samples
        outputs = self.predict_outputs(inputs.flatten(0, 1) if viewed else inputs,
                                       samples['input_from_frame'])
        gt = input_to_frame(samples['keypoints'].float(), samples['input_from_frame']) \
            if 'keypoints' in samples else None
        if viewed:
            outputs = unfold_views(outputs, matrix.shape[1])
            gt = None if gt is None else gt.unflatten(0, matrix.shape[:2])
        results = []
        for i in range(inputs.shape[0]):
            keypoints = outputs['keypoints_pred'][i].float().cpu()
            # a model without confidences (regression) reports NaN likelihoods
            conf = outputs['confidences'][i].float().cpu() if 'confidences' in outputs \
                else torch.full(keypoints.shape[:-1], float('nan'))
            item = dict(keypoints=keypoints, confidences=conf)
            if gt is not None:
                item['keypoints_gt'] = gt[i].cpu()
            for key in ('img_path', 'image', 'set', 'sample_idx', 'view_names'):
                value = data_samples.get(key)
                if value is not None and not viewed:
                    item[key] = value[i]
                elif value is not None:  # a list of V (per view) values of the batch
                    item[key] = [view[i] for view in value] if key in PER_VIEW_META \
                        else value[0][i]
            results.append(item)
        return results

    # -- checkpoints ---------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Refuse checkpoints whose tensors have other shapes, naming the first such key."""
        check_state_dict_shapes(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)
