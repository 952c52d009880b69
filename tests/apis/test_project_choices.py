"""tools/init_project.py's choices: an aspect-true input size (multiples of 32) and the
heatmap stride from the labels' extent."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from posekit.apis.project_config import (choose_input_size, choose_stride, label_extent,
                                         render_config)
from posekit.datasets.label_checks import LabelSummary
from posekit.datasets.project_scan import ProjectInfo
from posekit.datasets.transforms import Letterbox
from posekit.datasets.transforms.letterbox import letterbox_layout
from posekit.models.geometry import input_to_frame


def test_label_extent_is_the_median_box_side_of_frames_with_two_labels():
    nan = np.nan
    keypoints = np.array([
        [[100., 50.], [160., 90.], [nan, nan]],     # box 60 x 40 -> 60
        [[0., 0.], [10., 100.], [5., 5.]],          # 10 x 100 -> 100
        [[300., 300.], [nan, nan], [nan, nan]],     # one label: not counted
        [[20., 20.], [100., 30.], [60., 25.]],      # 80 x 10 -> 80
    ])
    assert label_extent(keypoints) == 80.
    assert np.isnan(label_extent(keypoints[2:3]))


@pytest.mark.parametrize('frame, size, scale, small, large', [
    # 640x480: 384x288, exactly 4:3, scale 0.6; 128 / 0.6 = 213.3 frame px is the threshold
    ((640, 480), (384, 288), 0.6, 210., 215.),
    # 1280x1024: 384x320 (1.2 for 1.25: letterboxed, 6 pad rows), scale 0.3: 426.7 px
    ((1280, 1024), (384, 320), 0.3, 420., 430.),
])
def test_init_project_choices(frame, size, scale, small, large):
    assert choose_input_size(frame) == size
    assert all(v % 32 == 0 for v in size)
    (inner, offset) = letterbox_layout(frame, size)
    assert inner[0] == round(frame[0] * scale) and inner[1] == round(frame[1] * scale)
    assert choose_stride(small, frame, size) == 2  # < 128 input px
    assert choose_stride(large, frame, size) == 4
    assert choose_stride(float('nan'), frame, size) == 4
    # the chosen input round-trips frame pixels through the letterbox
    keypoints = np.array([[-0.5, -0.5], [frame[0] - 0.5, frame[1] - 0.5], [123.4, 56.7]])
    results = Letterbox(size)(dict(img=np.zeros((frame[1], frame[0], 3), np.uint8),
                                   keypoints=keypoints.astype(np.float32),
                                   input_from_frame=np.eye(3)))
    back = input_to_frame(torch.from_numpy(results['keypoints'].astype(np.float64))[None],
                          torch.from_numpy(results['input_from_frame'])[None])[0].numpy()
    assert np.abs(back - keypoints).max() < 1e-4


def test_1280x1024_layout():
    assert letterbox_layout((1280, 1024), (384, 320)) == ((384, 307), (0, 6))


def info(frame_size):
    labels = LabelSummary(table=None, image_sizes=[frame_size], unlabeled_keypoints=[])
    return ProjectInfo(kind='folder', root='/p', ann_file='labels.csv', test_ann_file=[],
                       labels=labels)


def test_config_sets_the_codec_stride_only_when_it_is_not_4(tmp_path):
    out = str(tmp_path / 'mine.py')
    text = render_config(info((640, 480)), out, 'heatmap', (384, 288), stride=2)
    assert 'input_size = (384, 288)  # (W, H) the model sees; frames are 640x480, ' \
        'letterboxed' in text
    assert '\ncodec = dict(stride=2)  # heatmaps at 1/2 of the input' in text
    assert 'codec = dict(stride' not in render_config(info((640, 480)), out, 'heatmap',
                                                      (384, 288), stride=4)
    regression = render_config(info((640, 480)), out, 'regression', (384, 288), stride=2)
    assert 'codec = dict(stride' not in regression


@pytest.mark.parametrize('model, held_out', [('heatmap', False), ('heatmap_semi', True),
                                             ('heatmap_mhcrnn', True), ('regression', True)])
def test_heatmap_configs_get_the_cpu_budget_recipe(tmp_path, model, held_out):
    project = info((640, 480))
    project.videos = ['videos/a.mp4']
    project.test_ann_file = ['test.csv'] if held_out else []
    out = tmp_path / 'mine.py'
    out.write_text(render_config(project, str(out), model, (384, 288)))
    cfg = Config.fromfile(str(out))
    loader = cfg.train_dataloader
    assert loader.dataset.train_prob == (0.9 if held_out else 0.8)
    assert cfg.val_dataloader.dataset.val_prob == 0.1
    if model == 'regression':  # LP's training: MSE on the keypoints, 1e-3, batch 16
        assert [loss.type for loss in cfg.model.losses] == ['RegressionMSELoss']
        assert (cfg.optim_wrapper.optimizer.lr, loader.batch_size) == (1e-3, 16)
        return
    assert {loss.type for loss in cfg.model.losses} == {'HeatmapKLLoss'}
    assert (cfg.optim_wrapper.optimizer.lr, loader.batch_size) == (2e-3, 8)
    assert len(cfg.model.get('unsupervised_losses', [])) == (1 if model.endswith('semi') else 0)
