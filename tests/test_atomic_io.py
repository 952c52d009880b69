"""Atomic result files: complete or absent under the final name, default mode, no leftovers."""
import os
import stat

import pandas as pd
import pytest

from posekit.atomic_io import atomic_output, default_file_mode, stale_temp_files
from posekit.datasets.io import write_csv_atomic


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_csv_gets_the_umask_mode_and_replaces_atomically(tmp_path):
    old = os.umask(0o022)
    try:
        assert default_file_mode() == 0o644
        path = tmp_path / 'sub' / 'preds.csv'
        write_csv_atomic(pd.DataFrame({'a': [1, 2]}), str(path))
        assert mode(path) == 0o644
        os.umask(0o077)
        write_csv_atomic(pd.DataFrame({'a': [3]}), str(path))
        assert mode(path) == 0o600
    finally:
        os.umask(old)
    assert pd.read_csv(path, index_col=0)['a'].tolist() == [3]
    assert os.listdir(path.parent) == ['preds.csv']


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / 'video.mp4'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='killed'):
        with atomic_output(str(path)) as tmp:
            assert tmp.endswith('.part.mp4') and os.path.dirname(tmp) == str(tmp_path)
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('killed')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['video.mp4']
    with atomic_output(str(path)) as tmp:
        assert stale_temp_files(str(tmp_path)) == [tmp]
        with open(tmp, 'wb') as f:
            f.write(b'new')
    assert path.read_bytes() == b'new' and stale_temp_files(str(tmp_path)) == []
