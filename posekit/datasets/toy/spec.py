"""What the toy project is: keypoint names, frame geometry, sessions and random streams."""
from dataclasses import dataclass

import numpy as np

TOY_VERSION = 6
META_FILE = 'toy_meta.json'

PART_NAMES = ('nose', 'head', 'paw_fl', 'paw_fr', 'paw_bl', 'paw_br', 'tailbase')
KEYPOINT_NAMES = tuple(f'{p}_top' for p in PART_NAMES) + tuple(f'{p}_bot' for p in PART_NAMES)
VIEW_COLUMNS = (tuple(range(len(PART_NAMES))), tuple(range(len(PART_NAMES), len(KEYPOINT_NAMES))))
PAW_NAMES = ('paw_fl', 'paw_fr', 'paw_bl', 'paw_br')

FRAME_SIZE = 160  # width == height
HALF = FRAME_SIZE // 2  # rows [0, HALF) show the top view, [HALF, FRAME_SIZE) the bottom view
FPS = 30
MARGIN = 4  # keypoints stay at least this many px inside their own view's half
CX, CY_TOP, CY_BOT = 80, 70, 120  # projection offsets: world origin (ground) in each view

SHIFT = 4  # fractional bits of cv2 drawing coordinates
SUBPIXEL = 1 << SHIFT

BAR_WIDTH, BAR_SPEED = 12, 3  # occluder width (px) and speed (px / frame)
OCCLUDER_FRACTION = 0.2  # target fraction of frames in which the bar is in view

N_LABELED = 80
CONTEXT = 2  # labeled frames (train and test) come with their +-CONTEXT neighbours as PNGs
TEST_STEP = 5  # every TEST_STEP-th frame of the test session is a labeled test frame

# Figure geometry in px at scale 1: body ellipsoid semi-axes and centre height, head radius.
BODY_A, BODY_B, BODY_C, BODY_H = 12.0, 6.0, 5.0, 11.0
HEAD_RADIUS, NOSE_RADIUS, PAW_RADIUS = 4.5, 1.6, 2.4
N_TAIL = 7  # tail polyline points, the first at the tailbase


@dataclass(frozen=True)
class Condition:
    """Recording conditions shared by sessions: background, lighting and animal size.

    Attributes:
        name: Identifier; sessions with the same name share the same background texture.
        base_colour: Mean RGB colour of the background.
        brightness: Multiplier applied to the whole rendered frame.
        scale: Size of the figure relative to the default.
    """
    name: str
    base_colour: tuple[int, int, int]
    brightness: float
    scale: float


@dataclass(frozen=True)
class SessionSpec:
    """One recorded session.

    Attributes:
        name: Session (video) name.
        n_frames: Number of video frames.
        condition: Its recording conditions.
        video_dir: Folder of its video, relative to the project root.
    """
    name: str
    n_frames: int
    condition: Condition
    video_dir: str


RIG = Condition('rig', (165, 150, 125), brightness=1.0, scale=1.0)
SESSIONS = (SessionSpec('session1', 600, RIG, 'videos'),
            SessionSpec('session2', 1000, RIG, 'videos'),
            SessionSpec('session3', 500, RIG, 'videos_test'))
LABELED_SESSION, TEST_SESSION = 'session1', 'session3'

VIEWS = ('top', 'bottom')
# Orthographic projection of each view: image (x, y) = P @ (X, Y, Z) + offset, frame pixels.
VIEW_PROJECTIONS = {
    'top': (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]), np.array([CX, CY_TOP], float)),
    'bottom': (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([CX, CY_BOT], float)),
}
CONDITIONS = (RIG,)
_STREAMS = {'motion': 0, 'occluder': 1, 'noise': 2, 'background': 3, 'labels': 4,
            'view_background': 5, 'view_noise': 6}


def random_stream(seed: int, purpose: str, index: int, *more: int) -> np.random.Generator:
    """An independent random stream per seed, purpose and session (or condition) index.

    Args:
        seed: Project seed.
        purpose: One of ``'motion'``, ``'occluder'``, ``'noise'``, ``'background'``,
            ``'labels'`` and, for the multiview project's cameras, ``'view_background'``,
            ``'view_noise'``.
        index: Session (or condition, or camera) index.
        *more: Further indices (e.g. the camera of a session's view).

    Returns:
        A generator seeded from ``(seed, purpose, index, *more)``.
    """
    return np.random.default_rng([seed, _STREAMS[purpose], index, *more])
