import pytest
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import init_default_scope

from posekit.registry import DATASETS, LOSSES, MODELS, TRANSFORMS


def test_losses_registry_lists_losses_only():
    names = LOSSES.known_names()
    assert {'HeatmapMSELoss', 'HeatmapKLLoss', 'HeatmapJSLoss'} <= set(LOSSES.module_dict)
    assert 'PoseTracker' not in LOSSES.module_dict
    assert LOSSES.parent is MODELS and MODELS.parent is MMENGINE_MODELS
    assert 'PoseTracker' in names  # ancestors are searched, as mmengine does


def test_unknown_type_names_registry_and_close_matches():
    with pytest.raises(KeyError, match=r"'HeatmapMSELos' is not in the posekit 'loss' registry; "
                                       r"did you mean 'HeatmapMSELoss'"):
        LOSSES.build(dict(type='HeatmapMSELos'))
    with pytest.raises(KeyError, match=r"'LabeledFrameDataset' is not in the posekit 'dataset' "
                                       r"registry; did you mean 'LabeledFramesDataset'"):
        DATASETS.build(dict(type='LabeledFrameDataset', ann_file='x'))


def test_default_scope_resolves_posekit_first():
    init_default_scope('posekit')
    # mmcv also registers a 'Resize'; the posekit scope must win
    assert TRANSFORMS.get('Resize').__module__.startswith('posekit.')
    with pytest.raises(KeyError, match="did you mean 'PoseTracker'"):
        MMENGINE_MODELS.build(dict(type='PoseTraker'))
