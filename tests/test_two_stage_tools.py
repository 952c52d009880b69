"""Crop-zoom end to end on the small-figure toy: train both stages for one epoch, predict a
short clip with tools/predict.py and test the labeled frames with tools/test.py, both with the
two-stage config (slow: ~1.5 minutes)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from posekit.apis.two_stage import init_two_stage_model
from posekit.datasets.toy.writers import write_video
from posekit.datasets.video_io import read_frames, video_info
from posekit.inference import TwoStageInference

ROOT = Path(__file__).resolve().parents[1]
ONE_EPOCH = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
             'train_dataloader.num_workers=1', 'train_cfg.val_interval=1',
             'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']
CLIP_FRAMES = 20

pytestmark = pytest.mark.slow


def train(stage, work_dir):
    """Start tools/train.py on a stage's config (returns the process)."""
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', f'configs/two_stage/toy_small_stage{stage}.py',
         '--work-dir', str(work_dir), '--cfg-options', *ONE_EPOCH],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process):
    out, _ = process.communicate()
    assert process.returncode == 0, out[-3000:]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Both stages trained one epoch, and the two-stage config naming them."""
    tmp_path = tmp_path_factory.mktemp('two_stage')
    first, second = tmp_path / 'stage1', tmp_path / 'stage2'
    runs = [train(1, first), train(2, second)]  # independent: stage 2 trains on label crops
    for run in runs:
        finish(run)
    # the two-stage config: stage 2's recipe, its stage 1 trained above
    config = tmp_path / 'two_stage.py'
    config.write_text((second / 'toy_small_stage2.py').read_text()
                      + f"\nstage1 = dict(config={str(first / 'toy_small_stage1.py')!r}, "
                      f'checkpoint={str(first)!r})\n')
    return config, second


def test_train_both_stages_and_predict_a_clip_in_frame_pixels(trained, tmp_path):
    config, second = trained
    clip = str(tmp_path / 'clip.mp4')
    write_video(clip, read_frames(str(ROOT / 'data/toy_small/videos_test/session3.mp4'),
                                  range(CLIP_FRAMES)), (320, 320))
    result = subprocess.run(
        [sys.executable, 'tools/predict.py', str(config), str(second), clip,
         '--out-dir', str(tmp_path / 'out'), '--save-video'],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f'done: {clip} -> clip: {CLIP_FRAMES} frames' in result.stdout
    preds_dir = tmp_path / 'out' / 'video_preds'
    table = pd.read_csv(preds_dir / 'clip.csv', header=[0, 1, 2], index_col=0)
    assert table.shape == (CLIP_FRAMES, 14 * 3)
    assert table.columns[0][1:] == ('nose_top', 'x')
    assert video_info(str(preds_dir / 'labeled_videos' / 'clip_labeled.mp4')).num_frames \
        == CLIP_FRAMES
    assert (preds_dir / 'clip.done.json').is_file()

    # the same prediction in this process: every keypoint lies in its frame's crop box
    pair = init_two_stage_model(str(config), str(second))
    inference = TwoStageInference(pair, batch_size=16)
    prediction = inference.run(clip, progress=False)
    written = np.stack([table.xs(c, axis=1, level=2).to_numpy() for c in 'xy'], axis=-1)
    np.testing.assert_allclose(written, prediction.keypoints, atol=1e-3)
    windows = np.array([inference.boxes.window(t) for t in range(CLIP_FRAMES)], float)
    low = windows[:, None, :2] - 0.5
    high = windows[:, None, :2] + windows[:, None, 2:] - 0.5
    assert ((written >= low - 1e-3) & (written <= high + 1e-3)).all()
    assert windows[0, 2] == windows[0, 3] and (windows[:, 2:] == windows[0, 2:]).all()


def test_test_tool_reports_two_stage_errors_in_frame_pixels(trained, tmp_path):
    config, second = trained
    result = subprocess.run(
        [sys.executable, 'tools/test.py', str(config), str(second), '--work-dir',
         str(tmp_path), '--cfg-options', 'test_videos=[]'],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for split in ('train', 'validation', 'test'):
        assert f'two_stage/pixel_error_{split}' in result.stdout
    errors = pd.read_csv(tmp_path / 'two_stage_pixel_error.csv', index_col=0)
    # 80 session-1 frames (train/validation) + 100 held-out session-3 frames (test)
    assert errors.shape == (180, 15)
    assert errors['set'].value_counts().to_dict() == {'test': 100, 'train': 72,
                                                      'validation': 8}
    assert np.isfinite(errors.drop(columns='set').to_numpy(float)).all()
