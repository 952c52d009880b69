"""Training targets from the config's codec."""
from typing import ClassVar, Optional, Union

from mmcv.transforms import BaseTransform

from posekit.codecs import BaseKeypointCodec, build_codec
from posekit.registry import TRANSFORMS
from .frames import frame_size


@TRANSFORMS.register_module()
class GenerateTarget(BaseTransform):
    """Encode the sample's keypoints with the model's codec (e.g. Gaussian heatmaps).

    The config declares the codec once, at its top; ``tools/`` (``posekit.apis.config``)
    hands it to every ``GenerateTarget`` left with ``codec=None``, so dataset configs stay
    independent of the model.

    Args:
        codec: A codec config or instance (``KEYPOINT_CODECS``).
    """

    #: Pipeline stage: a training target from the labels (inference skips it; see the
    #: package docstring).
    stage: ClassVar[str] = 'target'

    def __init__(self, codec: Optional[Union[dict, BaseKeypointCodec]] = None) -> None:
        self.codec = build_codec(codec)

    def transform(self, results: dict) -> dict:
        """Add one array per ``codec.target_keys`` and list their names in ``target_keys``.

        Args:
            results (dict): Holds ``img`` (an image or a frame stack) and ``keypoints``
                ``(K, 2)`` in image pixels (a stack's labels are its centre frame's).

        Returns:
            dict: ``results`` with the targets (e.g. ``heatmaps (K, h, w)``) and
            ``target_keys``.

        Raises:
            ValueError: ``results`` has no keypoints (an unlabeled clip has no targets), or
                the image is not of the codec's input size.
        """
        if 'keypoints' not in results:
            raise ValueError('GenerateTarget needs keypoints; a sample without them (an '
                             'unlabeled clip) has no targets')
        height, width = frame_size(results['img'])
        if (width, height) != self.codec.input_size:
            raise ValueError(f'GenerateTarget: the pipeline made a {width}x{height} (WxH) '
                             f'image but the codec expects input_size {self.codec.input_size}:'
                             ' resize to the config\'s input_size before GenerateTarget')
        results.update(self.codec.encode(results['keypoints']))
        results['target_keys'] = self.codec.target_keys
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(codec={self.codec!r})'
