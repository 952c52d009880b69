"""Single images of any size, each mapped back to its own pixels."""
import cv2
import numpy as np

from posekit.apis import predict_frames
from .conftest import expected_keypoints


def test_predict_frames_maps_each_image_size(model, tmp_path):
    small = np.zeros((48, 64, 3), np.uint8)
    large = np.zeros((128, 192, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'large.png'), large)
    keypoints, confidences = predict_frames(model, [small, str(tmp_path / 'large.png')])
    assert keypoints.shape == (2, 3, 2) and confidences.shape == (2, 3)
    np.testing.assert_allclose(keypoints[0], expected_keypoints(0), atol=0.1)
    np.testing.assert_allclose(keypoints[1], expected_keypoints(1, (192, 128)), atol=0.2)
