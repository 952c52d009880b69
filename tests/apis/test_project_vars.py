"""A project config: top-level variables fill the entries configs/_base_/datasets/project.py
leaves None."""
from pathlib import Path

import pytest
from mmengine.config import Config

from posekit.apis.model_info import fill_model_info
from posekit.apis.project_vars import ProjectVariableError, fill_project_vars

ROOT = Path(__file__).resolve().parents[2]
BASES = ['default_runtime.py', 'schedule.py', 'datasets/project.py', 'models/heatmap.py']


def write_config(tmp_path: Path, body: str) -> Config:
    bases = ', '.join(repr(str(ROOT / 'configs' / '_base_' / b)) for b in BASES)
    path = tmp_path / 'mine.py'
    path.write_text(f'_base_ = [{bases}]\n{body}')
    return Config.fromfile(str(path))


def test_five_line_config_fills_every_dataset_and_pipeline(tmp_path):
    cfg = write_config(tmp_path, "data_root = '/p'\nann_file = 'labeled-data'\n"
                                 "input_size = (96, 64)\nvideos = 'videos'\n"
                                 "train_cfg = dict(type='SemiSupervisedTrainLoop')\n")
    fill_project_vars(cfg)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert (dataset.data_root, dataset.ann_file, dataset.test_ann_file) == \
            ('/p', 'labeled-data', None)
        assert dataset.pipeline[1] == dict(type='Letterbox', input_size=(96, 64))
    clips = cfg.unlabeled_dataloader.dataset
    assert (clips.data_root, clips.videos) == ('/p', 'videos')
    assert clips.pipeline[0].input_size == (96, 64)
    assert cfg.test_pipeline[1].input_size == (96, 64)
    before = cfg.to_dict()
    fill_project_vars(cfg)
    assert cfg.to_dict() == before


def test_supervised_config_needs_no_videos(tmp_path):
    cfg = write_config(tmp_path, "data_root = '/p'\nann_file = 'a.csv'\ninput_size = (64, 64)\n")
    fill_project_vars(cfg)
    assert cfg.unlabeled_dataloader.dataset.videos is None
    assert cfg.train_dataloader.dataset.ann_file == 'a.csv'


@pytest.mark.parametrize('missing, where', [
    ('ann_file', 'train_dataloader.dataset.ann_file'),
    ('data_root', 'train_dataloader.dataset.data_root'),
    ('input_size', 'pipeline step Letterbox.input_size'),
    ('videos', 'unlabeled_dataloader.dataset.videos'),
])
def test_an_unset_variable_is_named(tmp_path, missing, where):
    values = dict(data_root="'/p'", ann_file="'a.csv'", input_size='(64, 64)',
                  videos="'videos'")
    del values[missing]
    body = ''.join(f'{k} = {v}\n' for k, v in values.items())
    cfg = write_config(tmp_path, body + "train_cfg = dict(type='SemiSupervisedTrainLoop')\n")
    with pytest.raises(ProjectVariableError) as error:
        fill_project_vars(cfg)
    assert str(error.value).startswith(
        f"{where} is taken from the top-level variable '{missing}', which the config does "
        f'not set: add e.g. {missing} = ...')


def test_fill_model_info_reads_the_labels_of_the_variables(tmp_path):
    csv = tmp_path / 'labels.csv'
    csv.write_text('scorer,me,me,me,me\nbodyparts,a,a,b,b\ncoords,x,y,x,y\nimg.png,1,2,3,4\n')
    cfg = write_config(tmp_path, f"data_root = {str(tmp_path)!r}\nann_file = 'labels.csv'\n"
                                 "input_size = (64, 32)\nmetainfo = dict(skeleton=[('a', 'b')])\n")
    metainfo = fill_model_info(cfg)
    assert metainfo['keypoint_names'] == ['a', 'b']
    assert cfg.model.codec.input_size == (64, 32)
    assert cfg.train_dataloader.dataset.metainfo['skeleton'] == [('a', 'b')]
