"""Deterministic built-in toy data: a small DeepLabCut-style project rendered in seconds.

An animal-like 3-D figure (7 body parts) walks around an arena filmed by one camera that sees
it twice in one 160 x 160 frame, like a mouse filmed with a mirror: the top half is a side view
(``u = X + cx``, ``v = cy_top - Z``), the bottom half the mirror view from below
(``u = X + cx``, ``v = cy_bot + Y``). Both are orthographic, so the four image coordinates of a
body part lie exactly in a 3-D affine subspace and ``x_top == x_bot``. World coordinates are in
pixels and quantised to 1/16 px, so labels are exactly the positions drawn (cv2 draws with
``shift=4`` fractional bits; pixel centres sit at integer coordinates).

A vertical opaque bar slides across the frame from time to time; a keypoint whose pixel it
covers is occluded (NaN in the labeled CSVs, true position in the ground truth). The three
sessions are one rig (same background, lighting and figure scale) recorded at different times:
they differ in the figure's motion, the occluder's schedule and the pixel noise. (A version in
which sessions 2-3 had their own background and lighting let semi-supervised training find a
degenerate optimum: on the domain without labels the unsupervised losses were minimised by
near-static, low-confidence predictions, see docs/benchmarks.md.) Layout of the written
project: see :func:`generate_toy_data`.

With ``multiview=True`` (``tools/make_toy_data.py --multiview``) the same motion is filmed
by two calibrated pinhole cameras instead, and written in Lightning Pose's multiview layout
with an Anipose calibration and 3-D ground truth (:func:`generate_multiview_toy_data`).

Modules: ``spec`` (names, geometry, sessions, random streams), ``motion`` (figure, occluder,
projection), ``render`` (drawing frames), ``frames`` (which frames are labeled), ``writers``
(project files), ``project`` (generating the whole project and keeping it current),
``multiview`` and ``multiview_project`` (the two-camera project).
"""
from .motion import Motion, Session, simulate_session
from .multiview import MultiviewSession, render_view, simulate_multiview_session, toy_cameras
from .multiview_project import MULTIVIEW_VERSION, generate_multiview_toy_data
from .project import ensure_toy_data, generate_toy_data
from .render import BAR_COLOUR, PAW_COLOURS, render_session
from .spec import KEYPOINT_NAMES, META_FILE, PAW_NAMES, SESSIONS, TOY_VERSION, VIEW_COLUMNS

__all__ = [
    'Motion', 'Session', 'simulate_session', 'ensure_toy_data', 'generate_toy_data',
    'MultiviewSession', 'render_view', 'simulate_multiview_session', 'toy_cameras',
    'MULTIVIEW_VERSION', 'generate_multiview_toy_data',
    'BAR_COLOUR', 'PAW_COLOURS', 'render_session', 'KEYPOINT_NAMES', 'META_FILE', 'PAW_NAMES',
    'SESSIONS', 'TOY_VERSION', 'VIEW_COLUMNS'
]
