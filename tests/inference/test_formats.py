"""Prediction files other tools read: DLC .h5 and NWB, loaded back by pandas, pynwb and movement."""
import numpy as np
import pandas as pd
import pytest

from posekit.apis import write_video_outputs
from posekit.inference.formats import H5_KEY, parse_formats, write_formats
from .conftest import NAMES, NUM_FRAMES, expected_keypoints

pytestmark = pytest.mark.slow  # imports pynwb, hdmf and movement
SKELETON = [('nose', 'ear'), ('ear', 'tail')]


def test_parse_formats_keeps_order_once_each():
    pytest.importorskip('tables', reason="the 'h5' extra is not installed")
    pytest.importorskip('ndx_pose', reason="the 'nwb' extra is not installed")
    assert parse_formats('nwb, CSV,h5,nwb') == ['nwb', 'csv', 'h5']


def test_parse_formats_names_an_unknown_format():
    with pytest.raises(ValueError, match=r"--format: unknown format 'mat'; choose from "
                                         r"csv,h5,nwb"):
        parse_formats('csv,mat')


@pytest.fixture
def written(model, video, tmp_path):
    """CSV, .h5 and .nwb of the fake model's predictions of the 30-frame clip."""
    pytest.importorskip('tables', reason="the 'h5' extra (pip install 'posekit[h5]') is not "
                                         'installed')
    pytest.importorskip('ndx_pose', reason="the 'nwb' extra (pip install 'posekit[nwb]') is "
                                           'not installed')
    outputs = write_video_outputs(model, video, str(tmp_path), progress=False)
    paths = write_formats(outputs.predictions, str(tmp_path / 'clip'), video,
                          ['csv', 'h5', 'nwb'], dict(skeleton=SKELETON))
    assert paths == [str(tmp_path / 'clip.h5'), str(tmp_path / 'clip.nwb')]
    assert not list(tmp_path.glob('.tmp_*'))
    expected = np.stack([expected_keypoints(t) for t in range(NUM_FRAMES)])  # (T, K, 2)
    return outputs.predictions, expected, tmp_path


def test_h5_holds_the_csv_table(written):
    df, _, tmp_path = written
    h5 = pd.read_hdf(tmp_path / 'clip.h5', key=H5_KEY)
    csv = pd.read_csv(tmp_path / 'clip.csv', header=[0, 1, 2], index_col=0)
    assert list(h5.columns) == list(csv.columns) == list(df.columns)
    assert h5.columns.names == ['scorer', 'bodyparts', 'coords']
    assert list(h5.index) == list(range(NUM_FRAMES))
    np.testing.assert_allclose(h5.to_numpy(), csv.to_numpy(), rtol=0, atol=1e-9)


def test_nwb_pose_estimation(written):
    from pynwb import NWBHDF5IO
    df, expected, tmp_path = written
    with NWBHDF5IO(str(tmp_path / 'clip.nwb'), mode='r') as io:
        nwb = io.read()
        estimation = nwb.processing['behavior']['PoseEstimation']
        assert estimation.source_software == 'posekit'
        assert estimation.source_software_version == '0.1.0'
        assert estimation.scorer == 'tester'
        assert list(estimation.original_videos) == [str(tmp_path / 'clip.mp4')]
        assert estimation.dimensions[:].tolist() == [[64, 48]]
        assert list(estimation.skeleton.nodes[:]) == NAMES
        assert estimation.skeleton.edges[:].tolist() == [[0, 1], [1, 2]]
        assert sorted(estimation.pose_estimation_series) == sorted(NAMES)
        nose = estimation.pose_estimation_series['nose']
        np.testing.assert_allclose(nose.data[:], expected[:, 0], atol=1e-4)
        np.testing.assert_allclose(nose.confidence[:],
                                   df[('tester', 'nose', 'likelihood')].to_numpy())
        np.testing.assert_allclose(nose.timestamps[:], np.arange(NUM_FRAMES) / 30., atol=1e-6)


def test_movement_loads_csv_h5_and_nwb(written):
    load_poses = pytest.importorskip(
        'movement.io.load_poses',
        reason="movement is not installed (the 'test' extra: pip install -e '.[test]')")
    _, expected, tmp_path = written
    datasets = {
        'DeepLabCut csv': load_poses.from_dlc_file(tmp_path / 'clip.csv', fps=30),
        'DeepLabCut h5': load_poses.from_dlc_file(tmp_path / 'clip.h5', fps=30),
        'LightningPose csv': load_poses.from_lp_file(tmp_path / 'clip.csv', fps=30),
        'NWB': load_poses.from_nwb_file(tmp_path / 'clip.nwb'),
    }
    for source, ds in datasets.items():  # NWB stores the series by name: sorted
        assert list(ds.keypoints.values) == (sorted(NAMES) if source == 'NWB' else NAMES)
        ds = ds.sel(keypoints=NAMES)
        position = ds.position.sel(individuals=ds.individuals[0]).transpose(
            'time', 'keypoints', 'space').to_numpy()
        np.testing.assert_allclose(position, expected, atol=1e-4, err_msg=source)
        assert ds.confidence.shape[0] == NUM_FRAMES, source
        np.testing.assert_allclose(ds.time.values, np.arange(NUM_FRAMES) / 30., atol=1e-6,
                                   err_msg=source)
