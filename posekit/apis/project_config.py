"""Write a short config for a user's project (``tools/init_project.py``).

The config inherits posekit's bases (runtime, schedule, ``datasets/project.py`` and the
model base) and sets only the project's top-level variables (docs/contracts.md, "Configs");
``--model`` adds what a recipe changes: the context head, the regression codec, or the
unsupervised losses and loop of a semi-supervised recipe (on the project's videos). Heatmap
models also get the training measured on a CPU budget (:data:`CPU_RECIPE`).
"""
import os.path as osp
from typing import Optional

import numpy as np

from posekit.datasets.project_scan import ImageSize, ProjectInfo

MODELS = ('heatmap', 'heatmap_semi', 'heatmap_mhcrnn', 'regression')
#: The repository's configs folder (the bases the written config inherits).
CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
BASES = ('default_runtime.py', 'schedule.py', 'datasets/project.py', 'models/heatmap.py')

#: The training choices measured on the mirror-mouse example with ``--amp --time-budget``
#: on a 2-core CPU (docs/benchmarks.md, "Accuracy per CPU minute"), for heatmap models.
HEATMAP_LOSS = "dict(type='HeatmapKLLoss')"
CPU_RECIPE = """# training measured on a real project on a CPU budget (docs/benchmarks.md, "Accuracy per
# CPU minute"): LP's KL heatmap loss, Adam 2e-3 and batch 8 fit in far fewer CPU minutes
# than LP's MSE, 1e-3 and batch 16
"""
#: What each model adds to the ``model`` dict (one entry per line, indented).
MODEL_LINES = dict(
    heatmap=[f'    losses=[{HEATMAP_LOSS}],'],
    heatmap_semi=[f'    losses=[{HEATMAP_LOSS}],'],
    heatmap_mhcrnn=[
        '    # context tracker: each labeled frame is also predicted from frames t-2 ... t+2',
        '    # (missing neighbours are replaced by the labeled frame); each keypoint takes',
        '    # the more confident head',
        "    head=dict(type='ContextHeatmapHead'),",
        "    losses=[dict(type='HeatmapKLLoss', name=f'heatmap_kl_{h}', loss_weight=0.5,",
        "                 data_info=dict(pred=f'heatmaps_pred_{h}')) for h in ('sf', 'mf')],"],
    regression=[
        '    # regression tracker: pooled features -> (x, y) per keypoint',
        "    head=dict(type='RegressionHead'), losses=[dict(type='RegressionMSELoss')],"],
)


def choose_input_size(frame_size: ImageSize, max_side: int = 384) -> ImageSize:
    """A model input size for frames of ``frame_size``: multiples of 32, aspect kept.

    The frame is scaled down (never up) so that its longer side is at most ``max_side``,
    then each side is rounded to the nearest multiple of 32 (halves up; at least 32): 640x480 ->
    (384, 288), 406x396 -> (384, 384), 160x160 -> (160, 160).

    Args:
        frame_size: ``(W, H)`` of the frames.
        max_side: The longest input side allowed (a multiple of 32).

    Returns:
        ``(W, H)``.
    """
    scale = min(1., max_side / max(frame_size))
    return tuple(max(32, int(np.floor(side * scale / 32 + 0.5)) * 32) for side in frame_size)


#: Below this labeled extent (input pixels: 32 heatmap cells at stride 4) heatmaps use
#: stride 2 (see :func:`choose_stride`).
SMALL_ANIMAL_INPUT_PX = 128


def label_extent(keypoints: np.ndarray) -> float:
    """The animal's size in the labels: the median over frames of the longer side of the
    box around a frame's labeled keypoints (frames with at least two).

    Args:
        keypoints: ``(N, K, 2)`` frame pixels, NaN where unlabeled.

    Returns:
        The extent in frame pixels (NaN without a frame of two labels).
    """
    labeled = ~np.isnan(keypoints).any(-1)
    sides = [np.ptp(frame[ok], axis=0).max() for frame, ok in zip(keypoints, labeled)
             if ok.sum() >= 2]
    return float(np.median(sides)) if sides else float('nan')


def choose_stride(extent: float, frame_size: ImageSize, input_size: ImageSize) -> int:
    """The heatmap stride for an animal of ``extent`` frame pixels.

    The frame is letterboxed into the input (scale ``min(W1 / W0, H1 / H0)``); an animal
    spanning fewer than :data:`SMALL_ANIMAL_INPUT_PX` input pixels (32 heatmap cells at
    stride 4) gets stride 2, which halves the frame pixels per heatmap cell; otherwise
    stride 4 (Lightning Pose's). Unknown extent (NaN): 4.

    Args:
        extent: :func:`label_extent` of the labels, frame pixels.
        frame_size: ``(W0, H0)``.
        input_size: ``(W1, H1)``.

    Returns:
        2 or 4.
    """
    scale = min(input_size[0] / frame_size[0], input_size[1] / frame_size[1])
    return 2 if extent * scale < SMALL_ANIMAL_INPUT_PX else 4


def _base_path(base: str, out_dir: str) -> str:
    """A base file's path as the config at ``out_dir`` should name it (relative in-repo)."""
    path = osp.join(CONFIGS, '_base_', base)
    repo = osp.dirname(CONFIGS)
    inside = osp.commonpath([osp.abspath(out_dir), repo]) == repo
    return osp.relpath(path, out_dir) if inside else path


def _unsupervised_lines(info: ProjectInfo) -> list[str]:
    """The ``unsupervised_losses`` entry of a semi-supervised model, one line each."""
    losses = ["        # frame-to-frame jumps above 20 px, where the model is confident",
              "        dict(type='TemporalLoss', epsilon=20., prob_threshold=0.05, "
              "log_weight=5.),"]
    if info.pca_keypoints or info.views:
        keypoints = f'keypoints={info.pca_keypoints!r}, ' if info.pca_keypoints else ''
        losses += ["        # poses off the labels' principal subspace",
                   f"        dict(type='PCASingleViewLoss', {keypoints}components_to_keep=0.99, "
                   "log_weight=5.),"]
    if len(info.views) > 1:
        losses += ["        # the views disagree (metainfo views)",
                   "        dict(type='PCAMultiViewLoss', components_to_keep=3, "
                   "log_weight=5.),"]
    return ['    # semi-supervised: unsupervised losses on clips of the unlabeled videos',
            '    unsupervised_losses=[', *losses, '    ],']


SEMI_LOOP = """# the unsupervised losses ramp in by +0.01 per epoch (Lightning Pose's AnnealWeight)
train_cfg = dict(type='SemiSupervisedTrainLoop')
custom_hooks = [dict(type='UnsupervisedWarmupHook', start_epoch=0, increase_per_epoch=0.01)]
"""


def _metainfo(info: ProjectInfo) -> str:
    parts = []
    if info.views:
        parts.append(f'    views={info.views!r},')
    if info.skeleton:
        parts.append(f'    skeleton={[tuple(p) for p in info.skeleton]!r},')
    return 'metainfo = dict(\n' + '\n'.join(parts) + '\n)\n' if parts else ''


def render_config(info: ProjectInfo, out_path: str, model: str = 'heatmap',
                  input_size: Optional[ImageSize] = None, stride: int = 4) -> str:
    """The text of a config for ``info`` to be written at ``out_path``.

    Args:
        info: The scanned project.
        out_path: Where the config will be written (base paths are relative to it when it
            is inside the repository).
        model: One of :data:`MODELS`.
        input_size: ``(W, H)``; default the project's own resize size, else
            :func:`choose_input_size` of the most common frame size.
        stride: Heatmap stride (heatmap models; :func:`choose_stride`); written only when
            it is not the model base's 4.

    Raises:
        ValueError: An unknown model, or a semi-supervised model without videos.
    """
    if model not in MODELS:
        raise ValueError(f'unknown model {model!r}; choose from {MODELS}')
    if model.endswith('_semi') and not info.videos:
        raise ValueError(f'{info.root}: no videos found (videos/) for the semi-supervised '
                         f'model {model!r}; choose a supervised one or add videos')
    size = tuple(input_size or info.resize or choose_input_size(info.frame_size))
    out_dir = osp.dirname(osp.abspath(out_path))
    bases = ',\n'.join(f'    {_base_path(b, out_dir)!r}' for b in BASES)
    w, h = info.frame_size
    lines = [f'# posekit config for the {info.kind} project {info.root}',
             '# (written by tools/init_project.py; edit freely)',
             f'_base_ = [\n{bases},\n]\n',
             f'data_root = {info.root!r}',
             f'ann_file = {info.ann_file!r}  # label files, relative to data_root']
    if info.test_ann_file:
        lines.append(f'test_ann_file = {info.test_ann_file!r}  # held out: all test')
    lines.append(f'input_size = {size!r}  # (W, H) the model sees; frames are {w}x{h}, '
                 'letterboxed')
    if stride != 4 and model != 'regression':
        lines.append(f'codec = dict(stride={stride})  # heatmaps at 1/{stride} of the input: '
                     'the labeled animal is small in the frame')
    if info.videos:
        lines.append(f"videos = 'videos'  # unlabeled videos ({len(info.videos)}), "
                     'for semi-supervised recipes')
    text = '\n'.join(lines) + '\n' + _metainfo(info)
    heatmap = model != 'regression'
    if heatmap:
        text += CPU_RECIPE
    else:
        text += "codec = dict(_delete_=True, type='RegressionCodec')\n"
    model_lines = MODEL_LINES[model] + (_unsupervised_lines(info) if model.endswith('_semi')
                                        else [])
    text += 'model = dict(\n' + '\n'.join(model_lines) + '\n)\n'
    loaders = dict(train_dataloader=['batch_size=8'] if heatmap else [])
    if heatmap:
        text += 'optim_wrapper = dict(optimizer=dict(lr=2e-3))\n'
    if info.test_ann_file:
        text += ('# with a held-out test set: 90 % train, 10 % validation\n'
                 'labeled_split = dict(train_prob=0.9, val_prob=0.1)\n')
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            loaders.setdefault(loader, []).append('dataset=labeled_split')
    text += ''.join(f"{loader} = dict({', '.join(args)})\n"
                    for loader, args in loaders.items() if args)
    return text + (SEMI_LOOP if model.endswith('_semi') else '')
