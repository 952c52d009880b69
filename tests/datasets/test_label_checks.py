"""Label faults are caught when the labels are read, each naming file, row and key; and
tools/train.py stops on them before writing anything to the work dir."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from posekit.datasets import LabeledFramesDataset
from posekit.datasets.io import LabelFileError, read_dlc_csv
from posekit.datasets.label_checks import check_labels

ROOT = Path(__file__).resolve().parents[2]
HEADER = 'scorer,me,me,me,me\nbodyparts,a,a,b,b\ncoords,x,y,x,y\n'


def make_project(root: Path, rows: list[str], sizes=((8, 6),) * 3, header: str = HEADER
                 ) -> Path:
    """Images img0.png … (grey, of ``sizes`` W x H) and a CSV with ``rows`` after ``header``."""
    folder = root / 'labeled-data' / 'v'
    folder.mkdir(parents=True, exist_ok=True)
    for i, (w, h) in enumerate(sizes):
        cv2.imwrite(str(folder / f'img{i}.png'), np.full((h, w), 100, np.uint8))
    csv = folder / 'CollectedData.csv'
    csv.write_text(header + ''.join(r + '\n' for r in rows))
    return csv


GOOD = ['labeled-data/v/img0.png,1,2,3,4', 'labeled-data/v/img1.png,2,3,4,5',
        'labeled-data/v/img2.png,3,4,5,6']


def test_duplicated_rows_are_listed(tmp_path):
    csv = make_project(tmp_path, GOOD + ['labeled-data/v/img1.png,9,9,9,9'])
    with pytest.raises(LabelFileError) as error:
        check_labels([str(csv)], str(tmp_path))
    assert str(error.value) == (
        f"1 image(s) listed more than once in the label files (remove the duplicated rows): "
        f"'labeled-data/v/img1.png' ({csv} row 5, {csv} row 7)")


def test_infinite_coordinate_names_row_and_key(tmp_path):
    csv = make_project(tmp_path, GOOD[:2] + ['labeled-data/v/img2.png,3,4,inf,6'])
    with pytest.raises(LabelFileError) as error:
        check_labels([str(csv)], str(tmp_path))
    assert str(error.value) == f"{csv}: row 6, bodypart 'b', coord 'x': 'inf' is not finite"


def test_header_only_file_is_named(tmp_path):
    csv = make_project(tmp_path, [])
    with pytest.raises(LabelFileError) as error:
        check_labels([str(csv)], str(tmp_path))
    assert str(error.value) == f'{csv}: no labeled rows, only the header'


def test_multi_animal_header_is_refused(tmp_path):
    csv = tmp_path / 'CollectedData.csv'
    csv.write_text('scorer,me,me\nindividuals,m1,m1\nbodyparts,a,a\ncoords,x,y\nimg0.png,1,2\n')
    with pytest.raises(LabelFileError) as error:
        read_dlc_csv(str(csv))
    assert str(error.value) == (f'{csv}: row 2 is an individuals header: multi-animal '
                                'DeepLabCut projects are not supported yet')


def test_backslash_paths_are_normalised(tmp_path):
    csv = make_project(tmp_path, [r.replace('/', '\\') for r in GOOD])
    summary = check_labels([str(csv)], str(tmp_path))
    assert summary.table.image_paths == [f'labeled-data/v/img{i}.png' for i in range(3)]


def test_corrupt_and_missing_images_name_file_row_and_image(tmp_path):
    csv = make_project(tmp_path, GOOD)
    image = tmp_path / 'labeled-data' / 'v' / 'img1.png'
    image.write_bytes(image.read_bytes()[:40])  # truncated PNG
    with pytest.raises(LabelFileError,
                       match=rf"^{csv}, row 5: image 'labeled-data/v/img1.png' cannot be read"):
        check_labels([str(csv)], str(tmp_path))
    image.unlink()
    with pytest.raises(FileNotFoundError,
                       match=rf"^{csv}, row 5: image 'labeled-data/v/img1.png' not found"):
        check_labels([str(csv)], str(tmp_path))


def test_unlabeled_keypoint_warns_and_sizes_are_summarised(tmp_path):
    rows = [r.rsplit(',', 2)[0] + ',,' for r in GOOD]  # keypoint b never labeled
    csv = make_project(tmp_path, rows, sizes=((8, 6), (8, 6), (16, 4)))
    logger = MMLogger.get_current_instance()
    messages = []
    handler_emit = logger.handlers[0].emit
    logger.handlers[0].emit = lambda record: messages.append(record.getMessage())
    try:
        summary = check_labels([str(csv)], str(tmp_path))
    finally:
        logger.handlers[0].emit = handler_emit
    assert summary.unlabeled_keypoints == ['b']
    assert summary.image_sizes == [(8, 6), (8, 6), (16, 4)]
    assert messages[0] == ('labels: 3 labeled frames in 1 label file(s), 2 keypoints; image '
                           'sizes (W x H): 8x6 (2 frames), 16x4 (1 frames)')
    assert messages[1].startswith("labels: keypoint(s) ['b'] have no label in any of the 3 "
                                  f"frames of ['{csv}']")
    dataset = LabeledFramesDataset(ann_file=str(csv), data_root=str(tmp_path), split='all')
    assert len(dataset) == 3 and len(messages) == 2  # checked once per process


FAULTS = {
    'duplicate': (GOOD + ['labeled-data/v/img0.png,1,1,1,1'],
                  "'labeled-data/v/img0.png' ({csv} row 4, {csv} row 7)"),
    'inf': (GOOD[:2] + ['labeled-data/v/img2.png,3,-inf,5,6'],
            "{csv}: row 6, bodypart 'a', coord 'y': '-inf' is not finite"),
    'header_only': ([], '{csv}: no labeled rows, only the header'),
    'missing_image': (GOOD + ['labeled-data/v/img9.png,1,1,1,1'],
                      "{csv}, row 7: image 'labeled-data/v/img9.png' not found"),
    'corrupt_image': (GOOD, "{csv}, row 5: image 'labeled-data/v/img1.png' cannot be read"),
    'multi_animal': (['labeled-data/v/img0.png,1,2'], '{csv}: row 2 is an individuals header: '
                     'multi-animal DeepLabCut projects are not supported yet'),
}


@pytest.mark.slow
@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_train_tool_stops_before_writing_the_work_dir(tmp_path, fault):
    rows, expected = FAULTS[fault]
    header = 'scorer,me,me\nindividuals,m1,m1\nbodyparts,a,a\ncoords,x,y\n' \
        if fault == 'multi_animal' else HEADER
    csv = make_project(tmp_path, rows, header=header)
    if fault == 'corrupt_image':
        image = csv.parent / 'img1.png'
        image.write_bytes(image.read_bytes()[:40])
    config = tmp_path / 'mine.py'
    bases = [str(ROOT / 'configs' / '_base_' / b) for b in
             ('default_runtime.py', 'schedule.py', 'datasets/project.py', 'models/heatmap.py')]
    config.write_text(f'_base_ = {bases!r}\ndata_root = {str(tmp_path)!r}\n'
                      "ann_file = 'labeled-data'\ninput_size = (64, 64)\n"
                      "model = dict(backbone=dict(pretrained=False))\n")
    work_dir = tmp_path / 'work'
    result = subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir',
                             str(work_dir)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert expected.format(csv=csv) in result.stderr.splitlines()[-1]
    assert result.stderr.splitlines()[-1].startswith('error: ')
    assert not work_dir.exists()


def test_h5_only_folder_is_read_like_its_csv(tmp_path):
    pytest.importorskip('tables')
    import pandas as pd

    from posekit.datasets.io import find_label_files, to_dataframe
    csv = make_project(tmp_path, GOOD)
    index = pd.MultiIndex.from_tuples([('labeled-data', 'v', f'img{i}.png') for i in range(3)])
    df = to_dataframe(range(3), ['a', 'b'], np.arange(12.).reshape(3, 2, 2) + 1, scorer='me')
    df.index = index
    csv.unlink()
    df.to_hdf(csv.with_suffix('.h5'), key='df_with_missing')
    files = find_label_files(str(tmp_path))
    assert files == [str(csv.with_suffix('.h5'))]
    summary = check_labels(files, str(tmp_path))
    assert summary.table.image_paths == [f'labeled-data/v/img{i}.png' for i in range(3)]
    assert summary.table.keypoint_names == ['a', 'b']
    np.testing.assert_array_equal(summary.table.keypoints[2], [[9, 10], [11, 12]])
    assert summary.table.scorer == 'me'
