"""Every config in configs/ (and projects/*/configs/) builds its model and datasets."""
import ast
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


def base_levels(path: Path) -> int:
    """Levels of ``_base_`` above a config file (0: it inherits nothing)."""
    bases = next((ast.literal_eval(node.value) for node in ast.parse(path.read_text()).body
                  if isinstance(node, ast.Assign) and node.targets[0].id == '_base_'), [])
    bases = [bases] if isinstance(bases, str) else bases
    return 1 + max(base_levels((path.parent / b).resolve()) for b in bases) if bases else 0


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_has_at_most_two_levels_of_base(path):
    assert base_levels(path) <= 2


def test_base_levels_counts_the_deepest_chain(tmp_path):
    (tmp_path / 'leaf.py').write_text('a = 1\n')
    (tmp_path / 'mid.py').write_text("_base_ = ['leaf.py']\n")
    (tmp_path / 'top.py').write_text("_base_ = ['leaf.py', 'mid.py']\n")
    assert [base_levels(tmp_path / f'{n}.py') for n in ('leaf', 'mid', 'top')] == [0, 1, 2]


def test_crop_zoom_recipes_have_two_levels_and_semi_keeps_stage2(monkeypatch):
    monkeypatch.chdir(ROOT)
    two_stage = ROOT / 'configs' / 'two_stage'
    assert [base_levels(two_stage / f'toy_small_{name}.py')
            for name in ('stage1', 'stage2', 'stage2_semi')] == [1, 2, 2]
    stage2, semi = (Config.fromfile(str(two_stage / f'toy_small_{name}.py')).to_dict()
                    for name in ('stage2', 'stage2_semi'))
    added = {'clip_crop', 'unlabeled_dataloader', 'model', 'train_cfg', 'custom_hooks'}
    assert {k: v for k, v in semi.items() if k not in added} == \
        {k: v for k, v in stage2.items() if k not in added}
    assert semi['train_dataloader']['dataset']['pipeline'][1] == dict(
        type='CropAroundKeypoints', padding=0.25, centre_jitter=0.15, scale_jitter=0.2)
    assert semi['model'] == dict(stage2['model'], unsupervised_losses=semi['model'][
        'unsupervised_losses'])
