"""Make a built model ready for inference: names, config and the frame preprocessing."""
from mmengine.config import Config
from torch import nn

from .preprocess import FramePipeline


def prepare_for_inference(model: nn.Module, cfg: Config, dataset_meta: dict) -> nn.Module:
    """Attach what inference needs to a model and put it in eval mode.

    Args:
        model: A ``PoseTracker``.
        cfg: The config it was built from (its test pipeline preprocesses the frames).
        dataset_meta: ``keypoint_names`` and optionally ``scorer`` of its training labels.

    Returns:
        The same model with ``cfg``, ``dataset_meta`` (``keypoint_names``, ``num_keypoints``,
        ``scorer``), ``frame_pipeline`` (the :class:`~posekit.inference.preprocess.
        FramePipeline` of the config's test pipeline) and ``input_size`` ``(W, H)`` (the
        size it gives every frame) attributes.

    Raises:
        ValueError: The names do not match the head's keypoint count, or the config's test
            pipeline (``test_dataloader.dataset.pipeline``) does not give every frame one
            input size.
    """
    names = list(dataset_meta['keypoint_names'])
    if len(names) != model.head.num_keypoints:
        raise ValueError(f'{len(names)} keypoint names ({names}) for a head predicting '
                         f'{model.head.num_keypoints} keypoints')
    model.cfg = cfg
    model.dataset_meta = dict(keypoint_names=names, num_keypoints=len(names),
                              scorer=dataset_meta.get('scorer') or 'posekit')
    model.frame_pipeline = FramePipeline.from_config(cfg)
    model.input_size = model.frame_pipeline.input_size
    return model.eval()
