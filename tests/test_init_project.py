"""tools/init_project.py on DeepLabCut and Lightning Pose project folders made from generated
frames; the written config trains one epoch with no edit (slow: subprocesses)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from posekit.apis.project_config import choose_input_size
from posekit.datasets.io import to_dataframe, write_dlc_csv

ROOT = Path(__file__).resolve().parents[1]
TINY = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=1', 'unlabeled_dataloader.dataset.clip_length=4',
        'model.backbone.pretrained=False']
HAS_TABLES = importlib.util.find_spec('tables') is not None


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True)


def frame(points: np.ndarray, size=(64, 48)) -> np.ndarray:
    """A grey frame with a white disc at each ``(x, y)`` of ``points``."""
    image = np.full((size[1], size[0], 3), 40, np.uint8)
    for x, y in points:
        if np.isfinite(x):
            cv2.circle(image, (int(x), int(y)), 3, (255, 255, 255), -1)
    return image


def write_video(path: Path, n: int = 30, size=(64, 48)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30, size)
    for t in range(n):
        writer.write(frame(np.array([[10 + t, 20], [30, 10 + t % 20]]), size))
    writer.release()


def labeled_folder(root: Path, video: str, n: int, k: int, seed: int):
    """``n`` frames of ``k`` keypoints under labeled-data/<video>; returns images, keypoints."""
    rng = np.random.default_rng(seed)
    keypoints = rng.uniform(5, 40, size=(n, k, 2))
    images = []
    for i in range(n):
        image = f'labeled-data/{video}/img{i:04d}.png'
        (root / image).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / image), frame(keypoints[i]))
        images.append(image)
    return images, keypoints


@pytest.fixture
def dlc_project(tmp_path) -> Path:
    """A DeepLabCut project: config.yaml, a 3-column-index folder, a Windows-path folder,
    an .h5-only folder (when PyTables is installed) and one video."""
    root = tmp_path / 'dlc'
    names = ['nose', 'ear', 'tail']
    root.mkdir()
    (root / 'config.yaml').write_text(yaml.safe_dump(dict(
        Task='mice', scorer='lab', multianimalproject=False, bodyparts=names,
        skeleton=[['nose', 'ear'], ['ear', 'tail']],
        video_sets={'C:\\videos\\m1.mp4': dict(crop='0, 64, 0, 48')})))
    images, keypoints = labeled_folder(root, 'm1', 8, 3, 0)
    df = to_dataframe(images, names, keypoints, scorer='lab')
    df.index = pd.MultiIndex.from_tuples([tuple(i.split('/')) for i in images])
    df.to_csv(root / 'labeled-data/m1/CollectedData_lab.csv')
    images, keypoints = labeled_folder(root, 'm2', 8, 3, 1)
    keypoints[2, 1] = np.nan
    write_dlc_csv(str(root / 'labeled-data/m2/CollectedData_lab.csv'),
                  [i.replace('/', '\\') for i in images], names, keypoints, scorer='lab')
    if HAS_TABLES:
        images, keypoints = labeled_folder(root, 'm3', 6, 3, 2)
        to_dataframe(images, names, keypoints, scorer='lab').to_hdf(
            root / 'labeled-data/m3/CollectedData_lab.h5', key='df_with_missing')
    write_video(root / 'videos' / 'm1.mp4')
    return root


@pytest.fixture
def lp_project(tmp_path) -> Path:
    """A Lightning Pose project: CollectedData.csv at the root, an LP config with views."""
    root = tmp_path / 'lp'
    names = ['nose_top', 'tail_top', 'nose_bot', 'tail_bot']
    images, keypoints = labeled_folder(root, '', 20, 4, 3)
    write_dlc_csv(str(root / 'CollectedData.csv'), [i.replace('//', '/') for i in images],
                  names, keypoints, scorer='lp')
    (root / 'configs').mkdir()
    (root / 'configs' / 'config_lp.yaml').write_text(yaml.safe_dump(dict(data=dict(
        image_orig_dims=dict(height=48, width=64), image_resize_dims=dict(height=64, width=96),
        csv_file='CollectedData.csv', num_keypoints=4, keypoint_names=names,
        mirrored_column_matches=[[0, 1], [2, 3]], columns_for_singleview_pca=[0, 1]))))
    write_video(root / 'videos' / 'session.mp4', n=24)
    return root


def test_input_size_is_a_multiple_of_32_keeping_the_aspect():
    assert choose_input_size((640, 480)) == (384, 288)
    assert choose_input_size((406, 396)) == (384, 384)
    assert choose_input_size((160, 160)) == (160, 160)
    assert choose_input_size((1920, 1080), 256) == (256, 160)
    assert choose_input_size((20, 10)) == (32, 32)


@pytest.mark.slow
def test_deeplabcut_project_trains_from_the_written_config(dlc_project, tmp_path):
    out = tmp_path / 'cfg' / 'dlc.py'
    result = run('tools/init_project.py', dlc_project, '--out', out, '--model', 'heatmap_semi')
    assert result.returncode == 0, result.stderr
    n = 22 if HAS_TABLES else 16
    files = 3 if HAS_TABLES else 2
    assert f'deeplabcut project at {dlc_project}' in result.stdout
    assert f'labeled frames: {n} in {files} file(s)' in result.stdout
    assert 'nose (0), ear (1), tail (0)' in result.stdout
    assert 'image sizes (W x H, frames): 64x48' in result.stdout
    assert 'input size: 64x64' in result.stdout
    assert 'videos/m1.mp4: 30 frames' in result.stdout
    assert f'next: python tools/train.py {out}' in result.stdout
    text = out.read_text()
    assert "skeleton=[('nose', 'ear'), ('ear', 'tail')]" in text
    assert "train_cfg = dict(type='SemiSupervisedTrainLoop')" in text
    work_dir = tmp_path / 'work'
    result = run('tools/train.py', out, '--work-dir', work_dir, '--cfg-options', *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
    # the labels are checked (and summarised) before the Runner and its log file exist
    assert f'labels: {n} labeled frames in {files} label file(s), 3 keypoints' in \
        result.stdout + result.stderr
    assert 'unsupervised_weight' in next(work_dir.glob('*/*.log')).read_text()


@pytest.mark.slow
def test_lightning_pose_project_with_views_trains(lp_project, tmp_path):
    out = tmp_path / 'lp_cfg.py'
    result = run('tools/init_project.py', lp_project, '--out', out)
    assert result.returncode == 0, result.stderr
    assert 'lightning-pose project' in result.stdout
    assert "view top: ['nose_top', 'tail_top']" in result.stdout
    assert "view bot: ['nose_bot', 'tail_bot']" in result.stdout
    assert 'input size: 96x64' in result.stdout  # the LP config's image_resize_dims
    assert 'videos/session.mp4: 24 frames' in result.stdout
    work_dir = tmp_path / 'work'
    result = run('tools/train.py', out, '--work-dir', work_dir, '--cfg-options', *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()


@pytest.mark.slow
def test_five_line_config_and_a_bare_folder(tmp_path):
    root = tmp_path / 'bare'
    images, keypoints = labeled_folder(root, 'v', 12, 2, 4)
    write_dlc_csv(str(root / 'labels.csv'), images, ['a', 'b'], keypoints)
    out = tmp_path / 'bare_cfg.py'
    result = run('tools/init_project.py', root, '--out', out, '--input-size', '64', '32')
    assert result.returncode == 0, result.stderr
    assert 'folder project' in result.stdout and 'input size: 64x32' in result.stdout
    assert "ann_file = 'labels.csv'" in out.read_text()
    result = run('tools/init_project.py', root, '--out', out, '--model', 'heatmap_semi')
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: {root}: no videos found (videos/) for the "
                                     "semi-supervised model 'heatmap_semi'; choose a "
                                     'supervised one or add videos')
    five = tmp_path / 'five.py'
    bases = [str(ROOT / 'configs' / '_base_' / b) for b in
             ('default_runtime.py', 'schedule.py', 'datasets/project.py', 'models/heatmap.py')]
    five.write_text(f'_base_ = {bases!r}\ndata_root = {str(root)!r}\n'
                    f"ann_file = 'labels.csv'\ninput_size = (64, 64)\n")
    work_dir = tmp_path / 'work'
    result = run('tools/train.py', five, '--work-dir', work_dir, '--cfg-options', *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
