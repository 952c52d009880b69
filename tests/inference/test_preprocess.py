"""Frames preprocessed by the image steps of the config's test pipeline."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from posekit.apis.config import load_config
from posekit.datasets.transforms import (BrightnessContrast, GenerateTarget, Letterbox,
                                         LoadFrame, PackPoseInputs, Resize)
from posekit.datasets.transforms.geometric import resize_image
from posekit.inference.preprocess import FramePipeline, is_image_step

ROOT = Path(__file__).resolve().parents[2]
TEST_PIPELINE = [dict(type='LoadFrame'), dict(type='Resize', input_size=(96, 64)),
                 dict(type='GenerateTarget'),  # not built at inference: its codec is unset
                 dict(type='PackPoseInputs')]


def config(pipeline):
    return Config(dict(test_dataloader=dict(dataset=dict(pipeline=pipeline))))


def old_resize(frames, input_size):
    """What video inference did before: resize_image per frame, one affine for the batch."""
    width, height = input_size
    out = np.empty((len(frames), height, width, 3), dtype=np.uint8)
    for i, frame in enumerate(frames):
        out[i], matrix = resize_image(frame, input_size)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(matrix)


@pytest.mark.parametrize('frame_size', [(64, 48), (160, 160)])  # enlarge / shrink
def test_a_resize_pipeline_gives_the_old_input_and_affine(frame_size):
    frames = np.random.default_rng(0).integers(0, 256, (3, frame_size[1], frame_size[0], 3),
                                               dtype=np.uint8)
    pipeline = FramePipeline.from_config(config(TEST_PIPELINE))
    assert [type(step) for step in pipeline.steps] == [Resize]
    assert pipeline.input_size == (96, 64)
    inputs, matrices = pipeline.batch(frames)
    old_inputs, old_matrix = old_resize(frames, (96, 64))
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 3, 64, 96)
    assert torch.equal(inputs, old_inputs)
    assert matrices.dtype == torch.float64 and matrices.shape == (3, 3, 3)
    assert torch.equal(matrices, old_matrix.expand(3, 3, 3))


def test_the_affine_maps_frame_to_input_pixels():
    image, matrix = FramePipeline.from_config(config(TEST_PIPELINE))(
        np.zeros((48, 64, 3), np.uint8))
    assert image.shape == (64, 96, 3) and image.dtype == np.uint8
    # x -> (x + 0.5) * 96 / 64 - 0.5, y -> (y + 0.5) * 64 / 48 - 0.5
    np.testing.assert_allclose(matrix, [[1.5, 0., 0.25], [0., 4 / 3, 1 / 6], [0., 0., 1.]],
                               rtol=0, atol=1e-15)


def test_only_image_steps_run():
    assert is_image_step(Resize((8, 8))) and is_image_step(BrightnessContrast())
    for step in (LoadFrame(), GenerateTarget, PackPoseInputs()):
        assert not is_image_step(step)

    class CustomTarget:
        stage = 'target'

    assert not is_image_step(CustomTarget())


def test_the_toy_test_pipeline_keeps_its_resize_only():
    pipeline = FramePipeline.from_config(load_config(str(ROOT / 'configs' / 'heatmap.py')))
    assert [type(step) for step in pipeline.steps] == [Letterbox]  # the dataset bases' resize
    assert pipeline.input_size == (128, 128)


@pytest.mark.parametrize('pipeline, steps', [
    ([dict(type='LoadFrame'), dict(type='GenerateTarget'), dict(type='PackPoseInputs')],
     'none'),
    ([dict(type='LoadFrame'), dict(type='BrightnessContrast', prob=1.)],
     'BrightnessContrast')])
def test_a_pipeline_without_a_fixed_input_size_is_refused(pipeline, steps):
    message = (r"the config's test pipeline \(test_dataloader\.dataset\.pipeline\) has no "
               rf"geometric step giving every frame the model's input size \(its image steps: "
               rf"{steps}\)")
    with pytest.raises(ValueError, match=message):
        FramePipeline.from_config(config(pipeline))


def test_a_config_without_a_test_pipeline_is_refused():
    with pytest.raises(ValueError, match=r'no test pipeline \(test_dataloader\.dataset\.'
                                         r'pipeline\)'):
        FramePipeline.from_config(Config(dict(model=dict())))


def test_a_step_that_needs_a_file_is_refused_with_its_name():
    class NeedsPath:
        def __call__(self, results):
            return dict(results, img=np.load(results['img_path']))

    with pytest.raises(ValueError, match=r"test_dataloader\.dataset\.pipeline: NeedsPath "
                                         r"cannot run on a decoded frame at inference: "
                                         r"KeyError\('img_path'\)"):
        FramePipeline([Resize((32, 32)), NeedsPath()])
