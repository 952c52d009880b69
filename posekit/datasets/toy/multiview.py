"""The toy figure filmed by two calibrated pinhole cameras: the multiview toy's simulation.

The mirror toy's views are orthographic, which no pinhole calibration represents; the
multiview toy films the same 3-D motion (same random streams, so session ``i`` moves as in the
mirror toy) with two cameras defined here, each with its own frame size and lens distortion:

- ``top``: a side camera 400 units in front of the arena (``-Y``), slightly raised and to
  the right, looking horizontally-ish at the figure (160 × 96 px);
- ``bottom``: a camera 400 units below the floor looking up (160 × 112 px).

Labels are the exact projections (``cv2.projectPoints``, distortion included) of the 3-D body
parts, so triangulating them through the calibration recovers the 3-D ground truth. The
figure is drawn with the mirror toy's primitives; its outline is approximate (the body
ellipsoid's projection is linearised at its centre, radii scale with the inverse depth), its
keypoints are exact up to cv2's 1/16 px drawing grid. The occluder bar slides across the
``top`` view only, so a keypoint it hides is missing in that view and seen in the other.
"""
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from posekit.geometry3d import Camera, camera_looking_at, project_points
from .motion import Motion, occluder_schedule, occlusion_mask, simulate_motion
from .render import ViewProjection, apply_lighting, draw_figure, draw_occluder, make_background
from .spec import SessionSpec, random_stream

OCCLUDED_VIEW = 'top'  # the occluder bar passes in front of this camera only


def toy_cameras() -> list[Camera]:
    """The multiview toy's two cameras (``top``, ``bottom``), world units = mirror-toy px."""
    return [
        camera_looking_at('top', (160, 96), 350., position=(20., -400., 40.),
                          target=(0., 0., 8.), up=(0., 0., 1.), distortions=(-0.05,)),
        camera_looking_at('bottom', (160, 112), 380., position=(0., 0., -400.),
                          target=(0., 0., 0.), up=(0., -1., 0.),
                          distortions=(0.03, 0., 0.001, -0.001)),
    ]


@dataclass
class MultiviewSession:
    """A simulated session seen by several cameras.

    Attributes:
        spec: What the session is.
        seed: Project seed.
        index: The session's position in ``SESSIONS``.
        motion: The figure's 3-D geometry (``motion.parts`` is the 3-D ground truth).
        cameras: The cameras, in view order.
        keypoints: View name -> ``(T, 7, 2)`` true keypoints in that view's frame pixels.
        bar_left: ``(T,)`` leftmost column of the occluder bar in the occluded view.
        occluded: View name -> ``(T, 7)`` True where the bar covers the keypoint.
    """
    spec: SessionSpec
    seed: int
    index: int
    motion: Motion
    cameras: list[Camera]
    keypoints: dict[str, np.ndarray]
    bar_left: np.ndarray
    occluded: dict[str, np.ndarray]


def simulate_multiview_session(spec: SessionSpec, seed: int, index: int,
                               cameras: list[Camera]) -> MultiviewSession:
    """Simulate one session's motion and occluder and project it into every camera.

    Args:
        spec: The session.
        seed: Project seed.
        index: The session's position in ``SESSIONS`` (selects its random streams).
        cameras: The cameras.

    Returns:
        The session.
    """
    motion = simulate_motion(random_stream(seed, 'motion', index), spec.n_frames,
                             spec.condition.scale)
    keypoints = {cam.name: project_points(motion.parts, cam) for cam in cameras}
    bar_left = occluder_schedule(random_stream(seed, 'occluder', index), spec.n_frames)
    occluded = {name: occlusion_mask(kp, bar_left) if name == OCCLUDED_VIEW
                else np.zeros(kp.shape[:2], bool) for name, kp in keypoints.items()}
    return MultiviewSession(spec, seed, index, motion, list(cameras), keypoints, bar_left,
                            occluded)


def camera_projection(camera: Camera) -> ViewProjection:
    """How a calibrated camera shows the world, for :func:`draw_figure`."""
    rotation, focal = camera.rotation_matrix, float(camera.matrix[0, 0])

    def depth(points: np.ndarray) -> np.ndarray:
        return points @ rotation[2] + camera.translation[2]

    def body_axes(centre: np.ndarray, axes: np.ndarray) -> np.ndarray:
        ends = project_points(np.concatenate([centre + axes.T, centre - axes.T]), camera)
        return (ends[:3] - ends[3:]).T / 2

    return ViewProjection(to_image=lambda points: project_points(points, camera),
                          body_axes=body_axes,
                          nearness=lambda points: -float(np.mean(depth(points))),
                          size_scale=lambda point: focal / float(depth(point)))


def render_view(session: MultiviewSession, view: int) -> Iterator[np.ndarray]:
    """Render a session's frames as one camera sees them.

    Each camera has its own background texture (same colour and lighting as the mirror
    toy's rig) and pixel noise.

    Args:
        session: The session.
        view: Index of the camera in ``session.cameras``.

    Yields:
        ``(H, W, 3)`` uint8 RGB frames of the camera's size, ``0 .. n_frames - 1``.
    """
    camera, condition = session.cameras[view], session.spec.condition
    background = make_background(random_stream(session.seed, 'view_background', view),
                                 condition, camera.size, mirror_line=False)
    noise_rng = random_stream(session.seed, 'view_noise', session.index, view)
    projection = camera_projection(camera)
    for t in range(session.spec.n_frames):
        frame = background.copy()
        draw_figure(frame, session.motion, t, projection)
        if camera.name == OCCLUDED_VIEW:
            draw_occluder(frame, session.bar_left[t])
        yield apply_lighting(frame, condition.brightness, noise_rng)
