"""Every config in configs/ (and projects/*/configs/) builds its model and datasets."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from posekit.apis import fill_model_info, prepare_data
from posekit.apis.config import load_config
from posekit.apis.config_checks import check_train_config
from posekit.registry import DATASETS, MODELS

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in [*ROOT.glob('configs/**/*.py'), *ROOT.glob('projects/*/configs/*.py')]
                 if '_base_' not in p.parts)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_builds(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    prepare_data(cfg)
    fill_model_info(cfg)
    model = MODELS.build(cfg.model)
    assert model.head.num_keypoints >= 1
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            assert len(DATASETS.build(cfg[key].dataset)) > 0, key


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_passes_the_checks_before_training(path):
    check_train_config(load_config(str(path)))
