"""The toy multiview recipe's codec and metainfo reach the model and its datasets."""
from pathlib import Path

import pytest

from posekit.apis.config import fill_model_info, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_multiview_metainfo_reaches_model_and_datasets(monkeypatch):
    monkeypatch.chdir(ROOT)  # conftest generated data/toy_multiview
    cfg = load_config('configs/multiview/heatmap_semi.py')
    metainfo = fill_model_info(cfg)
    assert metainfo['view_names'] == ['top', 'bottom'] and metainfo['num_keypoints'] == 7
    # one calibration per session for the outputs; the reprojection loss names session 1's
    assert metainfo['calibration'] == 'data/toy_multiview/calibrations/{session}.toml'
    losses = {loss['type']: loss for loss in cfg.model.unsupervised_losses}
    assert losses['ReprojectionLoss']['calibration'] == \
        'data/toy_multiview/calibrations/session1.toml'
    assert cfg.model.metainfo['view_names'] == ['top', 'bottom']
    assert cfg.train_dataloader.dataset.metainfo['view_names'] == ['top', 'bottom']
    assert cfg.model.codec['input_size'] == (128, 96)


def test_a_dataset_with_other_views_than_the_metainfo_is_refused(monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load_config('configs/multiview/heatmap_semi.py')
    cfg.unlabeled_dataloader.dataset.view_names = ['bottom', 'top']
    with pytest.raises(ValueError, match=r"MultiviewVideoClipDataset: view_names=\['bottom', "
                                         r"'top'\] but the config's metainfo.view_names="
                                         r"\['top', 'bottom'\]"):
        fill_model_info(cfg)
