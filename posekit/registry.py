"""posekit's registries: children of mmengine's, so configs with ``default_scope='posekit'``
find posekit modules first and mmengine's (optimizers, schedulers, hooks, ...) as fallback.

An unknown ``type`` fails with the registry's name, the type asked for and the closest
registered names, e.g. ``'HeatmapMSELos' is not in the posekit 'loss' registry; did you mean
'HeatmapMSELoss'?``.
"""
import difflib
from contextlib import contextmanager
from typing import Optional

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import DefaultScope, Registry


class PosekitRegistry(Registry):
    """A registry whose failed lookups name the closest registered types.

    Building under the ``posekit`` default scope uses this very registry: mmengine would
    search the registry tree for the first ``posekit`` node, which for ``LOSSES`` (a child of
    ``MODELS`` in the same scope) is ``MODELS``.
    """

    @contextmanager
    def switch_scope_and_registry(self, scope: Optional[str]):
        """Yield the registry to build from: this one when the default scope is its own."""
        with DefaultScope.overwrite_default_scope(scope):
            current = DefaultScope.get_current_instance()
            if current is None or current.scope_name == self.scope:
                yield self
                return
        with super().switch_scope_and_registry(scope) as registry:
            yield registry

    def get(self, key: str):
        """Return the class registered under ``key`` (here or in an ancestor).

        Raises:
            KeyError: ``key`` is a plain type name registered nowhere in this registry's
                chain; the message lists the closest registered names.
        """
        obj_cls = super().get(key)
        if obj_cls is None and isinstance(key, str) and '.' not in key:
            known = sorted(self.known_names())
            close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
            hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close else
                    f'; registered: {", ".join(known)}')
            raise KeyError(f"{key!r} is not in the posekit {self.name!r} registry{hint}")
        return obj_cls

    def known_names(self) -> set[str]:
        """Names registered in this registry and its ancestors."""
        self.import_from_location()
        names, registry = set(), self
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
        return names


def _child(name: str, parent: Registry, locations: list[str]) -> PosekitRegistry:
    return PosekitRegistry(name, parent=parent, scope='posekit', locations=locations)


MODELS = _child('model', MMENGINE_MODELS, ['posekit.models'])
#: Losses only, so they can be listed on their own; a child of MODELS.
LOSSES = PosekitRegistry('loss', parent=MODELS, scope='posekit',
                         locations=['posekit.models.losses'])
DATASETS = _child('dataset', MMENGINE_DATASETS, ['posekit.datasets'])
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, ['posekit.datasets.transforms'])
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, ['posekit.datasets'])
METRICS = _child('metric', MMENGINE_METRICS, ['posekit.evaluation'])
HOOKS = _child('hook', MMENGINE_HOOKS, ['posekit.engine'])
LOOPS = _child('loop', MMENGINE_LOOPS, ['posekit.engine'])
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, ['posekit.engine'])
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          ['posekit.engine'])
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, ['posekit.visualization'])
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, ['posekit.visualization'])
# Nodes so the posekit scope resolves everywhere without mmengine's fallback warnings.
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, [])
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, ['posekit.engine'])
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, [])
#: Keypoint codecs: the one place that knows the input size and how keypoints become targets
#: and model outputs become keypoints (``posekit.codecs``).
KEYPOINT_CODECS = PosekitRegistry('codec', scope='posekit', locations=['posekit.codecs'])
