"""Label checks of multiview projects before a Runner: one error naming file and row."""
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config

from posekit.apis.data_checks import check_labeled_data
from posekit.datasets.io import LabelFileError
from posekit.datasets.label_checks import check_view_labels

TOY = Path(__file__).resolve().parents[2] / 'data' / 'toy_multiview'
VIEWS = ['top', 'bottom']


@pytest.fixture
def labels(tmp_path):
    """Copies of the toy's per-view label files (images stay in the toy project)."""
    for view in VIEWS:
        shutil.copy(TOY / f'CollectedData_{view}.csv', tmp_path / f'CollectedData_{view}.csv')
    return tmp_path


def edit(path, line, change):
    """Apply ``change`` to the 1-based ``line`` of a text file (None: delete it)."""
    lines = path.read_text().splitlines(keepends=True)
    if change is None:
        del lines[line - 1]
    else:
        lines[line - 1] = change(lines[line - 1])
    path.write_text(''.join(lines))


def files(root):
    return {view: [str(root / f'CollectedData_{view}.csv')] for view in VIEWS}


def config(root):
    return Config(dict(train_dataloader=dict(dataset=dict(
        type='MultiviewLabeledFramesDataset', view_names=VIEWS, data_root=str(TOY),
        ann_file=str(root / 'CollectedData_{view}.csv')))))


def test_agreeing_views_pass_with_one_summary_each(labels):
    summaries = check_labeled_data(config(labels))
    assert [len(s.table) for s in summaries] == [80, 80]
    assert [set(s.image_sizes) for s in summaries] == [{(160, 96)}, {(160, 112)}]


def test_views_with_different_row_counts(labels):
    bottom = labels / 'CollectedData_bottom.csv'
    edit(bottom, 40, None)
    with pytest.raises(LabelFileError) as error:
        check_labeled_data(config(labels))
    assert str(error.value) == (
        f'{bottom} has 79 rows but {labels / "CollectedData_top.csv"} has 80: row 83 of '
        f'{labels / "CollectedData_top.csv"} has no counterpart; the views\' label files must '
        'list the same instants in the same order')


def test_a_view_with_a_missing_image(labels):
    bottom = labels / 'CollectedData_bottom.csv'
    edit(bottom, 6, lambda line: line.replace('img', 'gone', 1))
    with pytest.raises(FileNotFoundError, match=rf"{bottom}, row 6: image "
                                                r"'labeled-data/session1_bottom/gone\d+.png' "
                                                "not found"):
        check_view_labels(files(labels), str(TOY))


def test_a_view_with_an_empty_image_path(labels):
    top = labels / 'CollectedData_top.csv'
    edit(top, 9, lambda line: ',' + line.split(',', 1)[1])
    with pytest.raises(FileNotFoundError, match=rf"{top}, row 9: image '' not found"):
        check_view_labels(files(labels), str(TOY))


def test_a_view_with_other_keypoint_names(labels):
    bottom = labels / 'CollectedData_bottom.csv'
    edit(bottom, 2, lambda line: line.replace('tailbase', 'tail'))
    with pytest.raises(LabelFileError) as error:
        check_view_labels(files(labels), str(TOY))
    assert str(error.value) == (
        f"{bottom}: keypoints ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tail'] "
        "differ from those of view 'top', ['nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', "
        f"'paw_br', 'tailbase'] ({labels / 'CollectedData_top.csv'}); every view labels the "
        "same body parts in the same order")


def test_a_view_with_an_infinite_coordinate(labels):
    top = labels / 'CollectedData_top.csv'
    edit(top, 12, lambda line: line.split(',', 1)[0] + ',inf,' + line.split(',', 2)[2])
    with pytest.raises(LabelFileError, match=rf'{top}.*row 12'):
        check_view_labels(files(labels), str(TOY))
