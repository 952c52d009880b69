"""tools/predict.py at scale: torchrun ranks, kill and resume, equal names, bad out dirs."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from mmengine.registry import init_default_scope

from posekit.apis.config import fill_model_info, load_config, prepare_data
from posekit.apis.model_info import label_keypoint_names
from posekit.registry import MODELS
from .tool_runs import cut_video

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'configs/heatmap.py'
SESSION = ROOT / 'data' / 'toy' / 'videos_test' / 'session3.mp4'
LENGTHS = (40, 36, 32, 28, 24, 20)  # frames of the six videos

pytestmark = pytest.mark.slow


def predict(*args, env=None):
    return subprocess.run([sys.executable, 'tools/predict.py', CONFIG, *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, env=env)


def one_thread():
    return dict(os.environ, OMP_NUM_THREADS='1')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """An untrained toy heatmap model saved with its keypoint names."""
    init_default_scope('posekit')
    cfg = load_config(str(ROOT / CONFIG))
    prepare_data(cfg)
    fill_model_info(cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('model') / 'epoch_1.pth'
    meta = dict(dataset_meta=dict(keypoint_names=label_keypoint_names(cfg)))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """Six short toy videos of different lengths, in two folders."""
    root = tmp_path_factory.mktemp('videos')
    (root / 'one').mkdir()
    (root / 'two').mkdir()
    return [cut_video(SESSION, root / ('one' if i < 3 else 'two') / f'v{i}.mp4', 50 * i, n)
            for i, n in enumerate(LENGTHS)]


def summary(out):
    return pd.read_csv(out / 'video_preds' / 'predict_summary.csv', index_col=0,
                       keep_default_na=False)


def test_two_torchrun_ranks_write_what_one_process_writes(checkpoint, videos, tmp_path):
    folders = [str(videos[0].parent), str(videos[3].parent)]
    alone = predict(checkpoint, *folders, '--out-dir', tmp_path / 'alone', env=one_thread())
    assert alone.returncode == 0, alone.stderr[-3000:]
    with socket.socket() as free:  # a free port for torchrun's rendezvous
        free.bind(('127.0.0.1', 0))
        port = free.getsockname()[1]
    ranks = subprocess.run(['tools/dist_predict.sh', CONFIG, str(checkpoint), '2', *folders,
                            '--out-dir', str(tmp_path / 'ranks')], cwd=ROOT,
                           capture_output=True, text=True,
                           env=dict(one_thread(), PYTHON=sys.executable, PORT=str(port)))
    assert ranks.returncode == 0, ranks.stderr[-3000:]
    for video, frames in zip(videos, LENGTHS):
        name = video.stem
        a, b = (pd.read_csv(tmp_path / run / 'video_preds' / f'{name}.csv', header=[0, 1, 2],
                            index_col=0) for run in ('alone', 'ranks'))
        assert a.shape == (frames, 42)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-4)
    table = summary(tmp_path / 'ranks')
    assert list(table.index) == [str(v) for v in videos]
    assert list(table.status) == ['done'] * 6 and list(table.frames) == list(LENGTHS)
    assert (table.mean_confidence > 0).all() and (table.error == '').all()
    assert summary(tmp_path / 'alone').drop(columns='fps').equals(table.drop(columns='fps'))


def test_killed_run_resumes_with_the_unfinished_videos(checkpoint, videos, tmp_path):
    out = tmp_path / 'out' / 'video_preds'
    command = [sys.executable, 'tools/predict.py', CONFIG, str(checkpoint), *map(str, videos),
               '--out-dir', str(tmp_path / 'out')]
    run = subprocess.Popen(command, cwd=ROOT, env=one_thread(), start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(out.glob('*.done.json')) and time.time() < deadline and run.poll() is None:
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = sorted(p.name[:-len('.done.json')] for p in out.glob('*.done.json'))
    assert 1 <= len(finished) < 6, finished
    stamps = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.name.split('.')[0].split(
        '_')[0] in finished}
    assert not (out / 'predict_summary.csv').exists()
    again = subprocess.run(command, cwd=ROOT, env=one_thread(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    table = summary(tmp_path / 'out').set_index('name')
    assert sorted(table.index[table.status == 'skipped']) == finished
    assert sorted(table.index[table.status == 'done']) == sorted(
        {v.stem for v in videos} - set(finished))
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert len(list(out.glob('*.done.json'))) == len(list(out.glob('v?.csv'))) == 6
    third = predict(checkpoint, *videos, '--out-dir', tmp_path / 'out', env=one_thread())
    assert list(summary(tmp_path / 'out').status) == ['skipped'] * 6, third.stderr[-2000:]


def test_same_names_in_two_folders_both_keep_their_outputs(checkpoint, videos, tmp_path):
    for folder, start in (('day1', 0), ('day2', 300)):
        (tmp_path / folder).mkdir()
        cut_video(SESSION, tmp_path / folder / 'mouse.mp4', start, 20)
    result = predict(checkpoint, tmp_path / 'day1' / 'mouse.mp4', tmp_path / 'day2',
                     '--out-dir', tmp_path / 'out', env=one_thread())
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / 'out' / 'video_preds'
    one, two = (pd.read_csv(out / f'{day}_mouse.csv', header=[0, 1, 2], index_col=0)
                for day in ('day1', 'day2'))
    assert one.shape == two.shape == (20, 42) and not one.equals(two)
    assert not (out / 'mouse.csv').exists()
    assert list(summary(tmp_path / 'out').name) == ['day1_mouse', 'day2_mouse']


def test_out_dir_that_is_a_file_fails_before_any_work(checkpoint, videos, tmp_path):
    (tmp_path / 'taken').write_text('')
    result = predict(checkpoint, videos[0], '--out-dir', tmp_path / 'taken', env=one_thread())
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'error: output folder {tmp_path / "taken" / "video_preds"}: {tmp_path / "taken"} '
        'is a file']
    assert result.stdout == ''


def test_shards_of_a_job_array_split_the_videos_longest_first(checkpoint, videos, tmp_path):
    out = tmp_path / 'out'
    for shard in ('1/2', '0/2'):
        result = predict(checkpoint, videos[0].parent, videos[3].parent, '--out-dir', out,
                         '--shard', shard, env=one_thread())
        assert result.returncode == 0, result.stderr[-3000:]
    # frames 40, 36, 32, 28, 24, 20: shard 0 gets 40 + 28 + 24, shard 1 36 + 32 + 20
    for shard, members in ((0, [0, 3, 4]), (1, [1, 2, 5])):
        table = pd.read_csv(out / 'video_preds' / f'predict_summary_{shard}of2.csv',
                            index_col=0)
        assert list(table.index) == [str(videos[i]) for i in members]
        assert list(table.status) == ['done'] * 3
    assert len(list((out / 'video_preds').glob('*.done.json'))) == 6
