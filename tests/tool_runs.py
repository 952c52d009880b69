"""What the end-to-end tests share: running ``tools/*.py`` as a user does, and short cuts of
the toy's held-out video with their ground truth."""
import subprocess
import sys
from pathlib import Path
from typing import Optional

import cv2
import pandas as pd

from posekit.datasets.video_io import read_frames

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / 'data' / 'toy'


def run_tool(*args, check: bool = True, env: Optional[dict] = None
             ) -> subprocess.CompletedProcess:
    """Run ``python *args`` in the repository root, capturing its output.

    Args:
        *args: The tool and its arguments (paths are turned into strings).
        check: Fail the test, with the tail of both streams, on a non-zero exit status.
        env: The environment (default: this process's).

    Returns:
        The finished process.
    """
    result = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                            text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    return result


def cut_video(source: Path, path: Path, start: int, frames: int = 40) -> Path:
    """An mp4v copy of ``frames`` frames of ``source`` from ``start``; returns ``path``."""
    rgb = read_frames(str(source), range(start, start + frames))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 30.,
                             rgb.shape[2:0:-1])
    for frame in rgb:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def cut_test_video(folder: Path, stem: str, frames: int) -> dict:
    """The first ``frames`` frames of the toy's held-out session 3 with their ground truth.

    Args:
        folder: Where ``<stem>.mp4``, ``<stem>.csv`` and ``<stem>_occluded.csv`` are written.
        stem: Their name.
        frames: How many frames.

    Returns:
        A ``test_videos`` entry: ``dict(video=..., ground_truth=..., occluded=...)`` (str).
    """
    video = cut_video(TOY / 'videos_test' / 'session3.mp4', folder / f'{stem}.mp4', 0, frames)
    truth = pd.read_csv(TOY / 'ground_truth' / 'session3.csv', header=[0, 1, 2], index_col=0)
    truth.iloc[:frames].to_csv(folder / f'{stem}.csv')
    occluded = pd.read_csv(TOY / 'ground_truth' / 'session3_occluded.csv', index_col=0)
    occluded.iloc[:frames].to_csv(folder / f'{stem}_occluded.csv')
    return dict(video=str(video), ground_truth=str(folder / f'{stem}.csv'),
                occluded=str(folder / f'{stem}_occluded.csv'))
