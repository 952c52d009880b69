"""Which toy frames are labeled, and which are extracted as PNGs around them."""
import numpy as np

from .spec import CONTEXT, LABELED_SESSION, N_LABELED, TEST_SESSION, TEST_STEP, random_stream


def sample_labeled_frames(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """``N_LABELED`` sorted distinct frames whose ``+-CONTEXT`` neighbours are in the video."""
    return np.sort(rng.choice(np.arange(CONTEXT, n_frames - CONTEXT), N_LABELED, replace=False))


def with_neighbours(frames: np.ndarray, n_frames: int) -> set[int]:
    """The frames and their ``+-CONTEXT`` neighbours, clamped to the video."""
    return {min(max(int(f) + d, 0), n_frames - 1)
            for f in frames for d in range(-CONTEXT, CONTEXT + 1)}


def labeled_frames(seed: int, lengths: dict[str, int]) -> dict[str, np.ndarray]:
    """The labeled frames: ``N_LABELED`` random ones of the labeled session, every
    ``TEST_STEP``-th of the test session.

    Args:
        seed: Project seed.
        lengths: Session name -> number of frames.

    Returns:
        Session name -> sorted frame indices, for the labeled and the test session.
    """
    return {LABELED_SESSION: sample_labeled_frames(random_stream(seed, 'labels', 0),
                                                   lengths[LABELED_SESSION]),
            TEST_SESSION: np.arange(0, lengths[TEST_SESSION], TEST_STEP)}
