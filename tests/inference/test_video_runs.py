"""Many-video runs: input lists, unique output names, sharding, done-markers, out-dir checks."""
import json
import os

import pytest

from posekit.inference.completion import (clear_done, completed, mark_done, marker_path,
                                          video_record)
from posekit.inference.sharding import balance, parse_shard
from posekit.inference.video_list import expand_inputs, output_names, read_manifest
from posekit.inference.video_runs import VideoStatus, check_out_dir, write_summary


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'x')
    return str(path)


def test_same_stems_are_named_by_their_folders_then_extensions():
    names = output_names(['/data/day1/cam/s1.mp4', '/data/day2/cam/s1.mp4', '/data/s2.mp4',
                          '/data/day1/cam/s2.avi'])
    assert names == {'/data/day1/cam/s1.mp4': 'day1_cam_s1', '/data/day2/cam/s1.mp4':
                     'day2_cam_s1', '/data/s2.mp4': 'data_s2', '/data/day1/cam/s2.avi': 'cam_s2'}
    assert output_names(['/v/x.mp4', '/v/x.avi']) == {'/v/x.mp4': 'x_mp4', '/v/x.avi': 'x_avi'}
    assert output_names(['/a/x.mp4', '/b/y.mp4']) == {'/a/x.mp4': 'x', '/b/y.mp4': 'y'}


def test_colliding_output_files_are_refused_before_any_work():
    with pytest.raises(ValueError, match=r'outputs of /v/a.mp4 and /v/a_temporal_norm.mp4 '
                                         r'would both be named a_temporal_norm.csv'):
        output_names(['/v/a.mp4', '/v/a_temporal_norm.mp4'])
    with pytest.raises(ValueError, match='this run and /v/predict_summary.mp4'):
        output_names(['/v/predict_summary.mp4'], reserved=['predict_summary.csv'])


def test_manifest_folders_globs_and_missing_entries(tmp_path):
    a, b = touch(tmp_path / 'x' / 'a.mp4'), touch(tmp_path / 'x' / 'b.avi')
    c = touch(tmp_path / 'y' / 'c.mp4')
    (tmp_path / 'list.txt').write_text('# my videos\nx/a.mp4  # first\n\ny\n'
                                       f'{tmp_path}/x/*.avi\nnope.mp4\n')
    assert read_manifest(str(tmp_path / 'list.txt')) == [
        str(tmp_path / 'x/a.mp4'), str(tmp_path / 'y'), f'{tmp_path}/x/*.avi',
        str(tmp_path / 'nope.mp4')]
    videos, errors = expand_inputs([str(tmp_path / 'list.txt'), str(tmp_path / 'x'),
                                    str(tmp_path / 'missing')])
    assert videos == [a, c, b]
    assert len(errors) == 2 and errors[0].startswith(f'{tmp_path / "list.txt"}: no video ')
    assert 'nope.mp4' in errors[0] and 'missing' in errors[1]


def test_longest_first_greedy_balance():
    assert balance([10, 50, 30, 20, 40], 2) == [[0, 1, 3], [2, 4]]
    assert balance([5, 5, 5], 3) == [[0], [1], [2]]
    assert balance([7], 3) == [[0], [], []]
    assert parse_shard('1/4') == (1, 4)
    for bad in ('4/4', '-1/2', 'x', '1/2/3'):
        with pytest.raises(ValueError, match='--shard'):
            parse_shard(bad)


def test_done_marker_decides_completeness(tmp_path):
    video = touch(tmp_path / 'v.mp4')
    out = tmp_path / 'out'
    out.mkdir()
    files = [touch(out / 'v.csv'), touch(out / 'v_traces.png')]
    assert completed(str(out), 'v', video) is None
    mark_done(str(out), 'v', video_record(video, 40, 12.5, 0.75, files, str(out), False, True))
    record = completed(str(out), 'v', video, save_heatmaps=True)
    assert (record.frames, record.fps, record.files) == (40, 12.5, ['v.csv', 'v_traces.png'])
    assert json.loads(open(marker_path(str(out), 'v')).read())['video'] == video
    assert oct(os.stat(marker_path(str(out), 'v')).st_mode & 0o777) == \
        oct(0o666 & ~_umask())
    assert completed(str(out), 'v', video, save_video=True) is None  # not made last time
    assert completed(str(out), 'v', touch(tmp_path / 'w.mp4')) is None  # another video
    os.utime(video, (1, 1))
    assert completed(str(out), 'v', video) is None  # the video changed
    mark_done(str(out), 'v', video_record(video, 40, 12.5, 0.75, files, str(out), False, True))
    os.remove(files[1])
    assert completed(str(out), 'v', video) is None  # a file is gone
    clear_done(str(out), 'v')
    assert not os.path.exists(marker_path(str(out), 'v'))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_out_dir_checks_and_summary(tmp_path):
    (tmp_path / 'file').write_text('')
    with pytest.raises(ValueError, match=f'^output folder {tmp_path / "file"} is a file$'):
        check_out_dir(str(tmp_path / 'file'))
    with pytest.raises(ValueError, match=f'^output folder {tmp_path}/file/a/b: '
                                         f'{tmp_path}/file is a file$'):
        check_out_dir(str(tmp_path / 'file' / 'a' / 'b'))
    assert check_out_dir(str(tmp_path / 'new' / 'dir')) == str(tmp_path / 'new' / 'dir')
    table = write_summary([VideoStatus('/v/a.mp4', 'a', 'done', 40, 20., 0.5, 'tail;ear'),
                           VideoStatus('/v/b.mp4', 'b', 'failed', error='broken')],
                          str(tmp_path / 'summary.csv'))
    assert list(table.columns) == ['name', 'status', 'frames', 'fps', 'mean_confidence',
                                   'never_confident', 'error']
    text = (tmp_path / 'summary.csv').read_text().splitlines()
    assert text == ['video,name,status,frames,fps,mean_confidence,never_confident,error',
                    '/v/a.mp4,a,done,40,20.0,0.5,tail;ear,', '/v/b.mp4,b,failed,0,,,,broken']
