"""Context frames: neighbour lookup in LabeledFramesDataset and transforms on frame stacks."""
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from posekit.datasets import LabeledFramesDataset, labeled_frames
from posekit.datasets.io import write_dlc_csv
from posekit.datasets.labeled_frames import context_image_paths
from posekit.datasets.transforms import (BrightnessContrast, GenerateTarget,
                                         HorizontalFlip, LoadFrame, MotionBlur, PackClipInputs,
                                         PackPoseInputs, RandomAffine, RandomCropPad, Resize)

MIRROR_MOUSE = Path(__file__).resolve().parents[2] / 'data' / 'mirror-mouse-example'

#: a valid 4x4 grey PNG (the datasets open every image's header)
TINY_PNG = cv2.imencode('.png', np.zeros((4, 4), np.uint8))[1].tobytes()


# ---------------------------------------------------------------- neighbour lookup

@pytest.mark.parametrize('image, expected', [
    ('labeled-data/img10.png', ['img08', 'img09', 'img10', 'img11', 'img12']),
    ('labeled-data/img0123.png', ['img0121', 'img0122', 'img0123', 'img0124', 'img0125']),
    ('labeled-data/img00012.png', ['img00010', 'img00011', 'img00012', 'img00013',
                                   'img00014']),
    ('labeled-data/img01.png', ['img00', 'img00', 'img01', 'img02', 'img03']),  # clamped at 0
    ('labeled-data/img0000.png', ['img0000'] * 3 + ['img0001', 'img0002']),
    ('labeled-data/img99.png', ['img97', 'img98', 'img99', 'img100', 'img101']),
])
def test_neighbours_keep_the_zero_padding(image, expected):
    assert context_image_paths(image, 2) == [f'labeled-data/{stem}.png' for stem in expected]


def test_only_the_first_number_of_the_file_name_changes():
    assert context_image_paths('session1/cam2_f007_x7.jpg', 1) == [
        'session1/cam1_f007_x7.jpg', 'session1/cam2_f007_x7.jpg', 'session1/cam3_f007_x7.jpg']
    assert context_image_paths('v/img7_7.png', 1) == ['v/img6_7.png', 'v/img7_7.png',
                                                      'v/img8_7.png']
    with pytest.raises(ValueError, match="'v/frame.png': no frame number"):
        context_image_paths('v/frame.png', 2)


@pytest.fixture
def project(tmp_path):
    """Labeled frames 2, 10 and 40 of a video, frames 0-12 on disk (frame 40 alone)."""
    folder = tmp_path / 'labeled-data' / 'v'
    folder.mkdir(parents=True)
    for frame in [*range(13), 40]:
        (folder / f'img{frame:04d}.png').write_bytes(TINY_PNG)
    images = [f'labeled-data/v/img{frame:04d}.png' for frame in (2, 10, 40)]
    write_dlc_csv(str(folder / 'CollectedData.csv'), images, ['a'], np.ones((3, 1, 2)))
    return tmp_path


def build(project, **kwargs):
    kwargs.setdefault('split', 'all')
    return LabeledFramesDataset(ann_file='labeled-data/v/CollectedData.csv',
                                data_root=str(project), **kwargs)


def test_context_paths_and_missing_neighbours_warn_once(project, monkeypatch):
    logs = []
    monkeypatch.setattr(labeled_frames, 'print_log',
                        lambda msg, logger=None, level=logging.INFO: logs.append((msg, level)))
    dataset = build(project, context=2)
    paths = {dataset.get_data_info(i)['image']: dataset.get_data_info(i)['context_paths']
             for i in range(len(dataset))}
    folder = project / 'labeled-data' / 'v'
    assert paths['labeled-data/v/img0002.png'] == [
        str(folder / f'img{f:04d}.png') for f in (0, 1, 2, 3, 4)]
    assert paths['labeled-data/v/img0010.png'] == [
        str(folder / f'img{f:04d}.png') for f in (8, 9, 10, 11, 12)]
    # frame 40 has no neighbour on disk: all four are replaced by the centre frame
    assert paths['labeled-data/v/img0040.png'] == [str(folder / 'img0040.png')] * 5
    assert len(logs) == 1
    message, level = logs[0]
    assert level == logging.WARNING
    assert message.startswith('LabeledFramesDataset: 4 of 12 context frames do not exist')
    assert 'img0038.png' in message


def test_context_is_off_by_default_and_checked(project, monkeypatch):
    logs = []
    monkeypatch.setattr(labeled_frames, 'print_log', lambda *a, **k: logs.append(a))
    assert 'context_paths' not in build(project).get_data_info(0)
    build(project, context=1, split='train', train_prob=1., val_prob=0.)  # frames 1-3, 9-11
    assert len(logs) == 1 and logs[0][0].startswith('LabeledFramesDataset: 2 of 6 ')
    with pytest.raises(ValueError, match='context must be a non-negative int'):
        build(project, context=-1)


def test_lookup_happens_once_at_build(project, monkeypatch):
    dataset = build(project, context=2)
    before = [dataset.get_data_info(i)['context_paths'] for i in range(len(dataset))]
    monkeypatch.setattr(labeled_frames.osp, 'isfile', lambda path: pytest.fail('per item'))
    assert [dataset.get_data_info(i)['context_paths'] for i in range(len(dataset))] == before


def test_mirror_mouse_example_has_every_neighbour(monkeypatch):
    logs = []
    monkeypatch.setattr(labeled_frames, 'print_log', lambda *a, **k: logs.append(a))
    dataset = LabeledFramesDataset(ann_file='CollectedData.csv', data_root=str(MIRROR_MOUSE),
                                   split='all', context=2)
    assert len(dataset) == 90 and logs == []
    names = {dataset.get_data_info(i)['image']: [Path(p).name for p in
                                                 dataset.get_data_info(i)['context_paths']]
             for i in range(len(dataset))}
    assert names['labeled-data/img01.png'] == ['img00.png', 'img00.png', 'img01.png',
                                               'img02.png', 'img03.png']
    assert names['labeled-data/img90.png'] == [f'img{f}.png' for f in range(88, 93)]


# ---------------------------------------------------------------- frame stacks

PATCH = (20, 18, 10)  # x0, y0, size of the square painted with the frame index


def painted_frames(n=5, width=80, height=64):
    """A smooth random texture, with a square whose brightness encodes the frame index."""
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.uniform(60, 190, (8, 10, 3)).astype(np.float32), (width, height),
                      interpolation=cv2.INTER_CUBIC)
    frames = np.repeat(np.clip(base, 0, 255).astype(np.uint8)[None], n, axis=0)
    x0, y0, size = PATCH
    for i in range(n):
        frames[i, y0:y0 + size, x0:x0 + size] = 20 + 50 * i
    return frames


def warp_to(img, matrix, size=(64, 64)):
    """``img`` warped by the ``(3, 3)`` affine into a ``size`` (W, H) image (bilinear)."""
    return cv2.warpAffine(img, matrix[:2], size, flags=cv2.INTER_LINEAR)


def results_of(img):
    return dict(img=img, keypoints=np.array([[25., 23.], [50., 40.]], np.float32),
                ori_shape=img.shape[-3:-1], img_shape=img.shape[-3:-1],
                input_from_frame=np.eye(3))


GEOMETRIC = [Resize(input_size=(64, 64)), RandomAffine(rotation=30., scale=(0.8, 1.2),
                                                       translate=0.05),
             RandomCropPad(prob=1.), HorizontalFlip(prob=1., flip_pairs=[(0, 1)])]
PHOTOMETRIC = [MotionBlur(prob=1.), BrightnessContrast(prob=1.)]


def run(transforms, results, seed):
    np.random.seed(seed)
    for transform in transforms:
        results = transform(results)
    return results


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_stack_gets_one_draw_the_same_as_its_centre_frame_alone(seed):
    frames = painted_frames()
    stack = run(GEOMETRIC + PHOTOMETRIC, results_of(frames), seed)
    single = run(GEOMETRIC + PHOTOMETRIC, results_of(frames[2].copy()), seed)
    assert stack['img'].shape == (5, 64, 64, 3) and stack['img_shape'] == (64, 64)
    np.testing.assert_array_equal(stack['img'][2], single['img'])
    np.testing.assert_array_equal(stack['input_from_frame'], single['input_from_frame'])
    np.testing.assert_array_equal(stack['keypoints'], single['keypoints'])
    np.testing.assert_array_equal(stack['flip_indices'], [1, 0])


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_each_frame_is_its_original_warped_by_the_recorded_matrix(seed):
    frames = painted_frames()
    out = run(GEOMETRIC, results_of(frames), seed)
    matrix = out['input_from_frame']
    x0, y0, size = PATCH
    centre = matrix @ [x0 + (size - 1) / 2, y0 + (size - 1) / 2, 1.]
    col, row = np.rint(centre[:2]).astype(int)
    # where every intermediate image had content (the same draws on a white stack)
    white = run(GEOMETRIC, results_of(np.full_like(frames, 255)), seed)['img'][0, ..., 0]
    inside = cv2.erode((white == 255).astype(np.uint8), np.ones((3, 3))) > 0
    assert inside.mean() > 0.3
    for i in range(5):
        expected = warp_to(frames[i], matrix)
        # one composed warp vs. the pipeline's successive resamplings: close, not equal
        assert np.abs(out['img'][i].astype(float) - expected)[inside].mean() < 2
        assert abs(int(out['img'][i, row, col, 0]) - (20 + 50 * i)) <= 3  # its own paint


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_frames_differ_only_where_their_painted_content_differs(seed):
    frames = painted_frames()
    out = run(GEOMETRIC + PHOTOMETRIC, results_of(frames), seed)['img']
    mask = np.zeros(frames.shape[1:3], np.uint8)
    x0, y0, size = PATCH
    mask[y0:y0 + size, x0:x0 + size] = 1
    matrix = run(GEOMETRIC, results_of(frames), seed)['input_from_frame']
    near_patch = cv2.dilate(warp_to(mask, matrix), np.ones((15, 15), np.uint8))
    far = near_patch == 0
    assert far.mean() > 0.5 and near_patch.any()
    for i in range(5):
        np.testing.assert_array_equal(out[i][far], out[2][far])
        if i != 2:
            assert not np.array_equal(out[i], out[2])


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_a_stack_without_keypoints_gets_the_same_image_and_geometry(seed):
    """Unlabeled clips carry no keypoints; the transforms then move only image and geometry."""
    transforms = [*GEOMETRIC[:3], HorizontalFlip(prob=1.), *PHOTOMETRIC]
    frames = painted_frames()
    labeled = run(transforms, results_of(frames), seed)
    clip = results_of(frames)
    del clip['keypoints']
    clip = run(transforms, clip, seed)
    assert 'keypoints' not in clip and 'flip_indices' not in clip
    np.testing.assert_array_equal(clip['img'], labeled['img'])
    np.testing.assert_array_equal(clip['input_from_frame'], labeled['input_from_frame'])
    assert clip['img_shape'] == (64, 64)


def test_steps_that_need_keypoints_refuse_a_sample_without_them():
    clip = results_of(painted_frames())
    del clip['keypoints']
    with pytest.raises(ValueError, match=r'flip_pairs=\[\(0, 1\)\]\) needs keypoints'):
        HorizontalFlip(prob=1., flip_pairs=[(0, 1)])(dict(clip))
    with pytest.raises(ValueError, match='GenerateTarget needs keypoints'):
        GenerateTarget(codec=dict(type='HeatmapCodec', input_size=(64, 64)))(dict(clip))
    with pytest.raises(ValueError, match='pack .* with PackClipInputs'):
        PackPoseInputs()(dict(clip))


def test_pack_clip_inputs():
    frames = painted_frames(n=3)
    matrix = np.array([[0.5, 0., 1.], [0., 2., -3.], [0., 0., 1.]])
    packed = PackClipInputs()(dict(img=frames, input_from_frame=matrix, video='v.mp4',
                                   frame_indices=np.arange(7, 10)))
    assert packed['inputs'].shape == (3, 3, 64, 80) and packed['inputs'].dtype == torch.uint8
    assert packed['inputs'].is_contiguous()
    np.testing.assert_array_equal(packed['inputs'].numpy().transpose(0, 2, 3, 1), frames)
    samples = packed['data_samples']
    assert samples['input_from_frame'].dtype == torch.float32
    np.testing.assert_array_equal(samples['input_from_frame'].numpy(),
                                  np.repeat(matrix[None], 3, axis=0).astype(np.float32))
    assert samples['video'] == 'v.mp4'
    assert samples['frame_indices'].dtype == torch.int64
    assert samples['frame_indices'].tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match=r'frame stack.*shape \(64, 80, 3\)'):
        PackClipInputs()(dict(img=frames[0], input_from_frame=matrix, video='v.mp4',
                              frame_indices=np.arange(1)))


def test_load_pack_and_collate_a_stack(tmp_path):
    frames = painted_frames()
    paths = [str(tmp_path / f'img{i:02d}.png') for i in range(5)]
    for path, frame in zip(paths, frames):
        cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    results = dict(img_path=paths[2], context_paths=paths, keypoints=[[25., 23.], [50., 40.]])
    loaded = LoadFrame(cache=True)(results)
    np.testing.assert_array_equal(loaded['img'], frames)
    assert loaded['ori_shape'] == loaded['img_shape'] == (64, 80)
    transforms = [Resize(input_size=(64, 32)),
                  GenerateTarget(codec=dict(type='HeatmapCodec', input_size=(64, 32))),
                  PackPoseInputs()]
    packed = [run(transforms, LoadFrame()(dict(results)), seed=0) for _ in range(2)]
    assert packed[0]['inputs'].shape == (5, 3, 32, 64)
    assert packed[0]['inputs'].dtype == torch.uint8 and packed[0]['inputs'].is_contiguous()
    sample = packed[0]['data_samples']
    assert sample['keypoints'].shape == (2, 2) and sample['heatmaps'].shape == (2, 8, 16)
    assert sample['input_from_frame'].shape == (3, 3)
    batch = default_collate(packed)
    assert batch['inputs'].shape == (2, 5, 3, 32, 64)
    assert batch['data_samples']['keypoints'].shape == (2, 2, 2)


def test_context_frames_of_different_sizes_are_refused(tmp_path):
    paths = [str(tmp_path / 'a.png'), str(tmp_path / 'b.png')]
    cv2.imwrite(paths[0], np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(paths[1], np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(ValueError, match='differ in size'):
        LoadFrame()(dict(img_path=paths[0], context_paths=paths, keypoints=[[1., 1.]]))


def test_dataset_items_are_stacks_of_the_neighbour_files(project):
    folder = project / 'labeled-data' / 'v'
    for frame in [*range(13), 40]:
        img = np.full((32, 32, 3), frame * 5, np.uint8)
        cv2.imwrite(str(folder / f'img{frame:04d}.png'), img)
    dataset = build(project, context=2, pipeline=[LoadFrame(), PackPoseInputs()])
    item = dataset[1]  # frame 10
    assert item['inputs'].shape == (5, 3, 32, 32)
    assert item['inputs'][:, 0, 0, 0].tolist() == [40, 45, 50, 55, 60]
    assert item['data_samples']['img_path'].endswith('img0010.png')
