"""Split a video list between processes: longest-first greedy balancing on frame counts."""
from collections.abc import Sequence

from posekit.datasets.video_io import VideoReadError, video_info


def balance(weights: Sequence[float], parts: int) -> list[list[int]]:
    """Longest-first greedy partition: each item, heaviest first, goes to the lightest part.

    Ties are broken by position (earlier item first, lower part first), so every process
    computing it from the same list gets the same answer.

    Args:
        weights: Work of each item (e.g. frames of each video).
        parts: Number of parts (processes).

    Returns:
        ``parts`` lists of item positions, each in increasing order.

    Raises:
        ValueError: ``parts`` is below 1.
    """
    if parts < 1:
        raise ValueError(f'cannot split work into {parts} parts')
    loads = [0.] * parts
    members: list[list[int]] = [[] for _ in range(parts)]
    for item in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        part = min(range(parts), key=lambda p: (loads[p], p))
        loads[part] += weights[item]
        members[part].append(item)
    return [sorted(m) for m in members]


def parse_shard(text: str) -> tuple[int, int]:
    """``'I/N'`` (shard ``I`` of ``N``, counted from 0, e.g. ``$SLURM_ARRAY_TASK_ID/8``).

    Raises:
        ValueError: Not two integers with ``0 <= I < N``.
    """
    try:
        index, count = (int(part) for part in text.split('/'))
    except ValueError:
        raise ValueError(f'--shard must be I/N (e.g. 0/4), got {text!r}') from None
    if not 0 <= index < count:
        raise ValueError(f'--shard {text}: I must be in 0 … N-1')
    return index, count


def frame_counts(videos: Sequence[str]) -> list[int]:
    """Frames of each video; 0 for one that cannot be read (it fails when predicted)."""
    counts = []
    for video in videos:
        try:
            counts.append(video_info(video).num_frames)
        except (FileNotFoundError, VideoReadError):
            counts.append(0)
    return counts
