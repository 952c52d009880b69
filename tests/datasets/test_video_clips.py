"""Tests for posekit.datasets.video_io and VideoClipDataset on small synthetic mp4v videos.

The "coded" videos carry their frame index in the image: bit ``b`` of the index is a white
block in the top third of the frame, which survives mp4v compression and resizing.
"""
import os
import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import posekit.datasets
from posekit.datasets import (VideoClipDataset, VideoInfo, VideoReadError, VideoReaderCache,
                              clip_collate, list_videos, read_frames, video_info)
from posekit.datasets.transforms.geometric import warp_image
from posekit.registry import DATASETS

BITS = 6
INPUT_SIZE = (48, 40)
DOT = (46.3, 27.6)  # (x, y) of the blob in the 80 x 64 dot video, frame pixels


def write_video(path, frames_rgb, fps=30.):
    """Write ``(H, W, 3)`` RGB frames to ``path`` as an mp4v video and return the path."""
    height, width = frames_rgb[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    for frame in frames_rgb:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def block_centres(width, height):
    """``(BITS, 2)`` frame-pixel centres of the bit blocks of a ``width x height`` frame."""
    block_w = width // BITS
    return np.array([[b * block_w + (block_w - 1) / 2, (height // 3 - 1) / 2]
                     for b in range(BITS)])


def coded_frame(index, width, height):
    """A black frame whose top third shows ``index`` in binary (bit b: block b white)."""
    frame = np.zeros((height, width, 3), np.uint8)
    block_w = width // BITS
    for b in range(BITS):
        if index >> b & 1:
            frame[:height // 3, b * block_w:(b + 1) * block_w] = 255
    return frame


def coded_video(path, num_frames=40, width=64, height=48):
    return write_video(path, [coded_frame(i, width, height) for i in range(num_frames)])


def decode_index(img, input_from_frame, width, height):
    """Read the frame index from an ``(H, W, 3)`` input image through ``input_from_frame``."""
    centres = block_centres(width, height) @ input_from_frame[:2, :2].T + input_from_frame[:2, 2]
    bits = [img[int(round(y)), int(round(x))].mean() > 128 for x, y in centres]
    return sum(int(bit) << b for b, bit in enumerate(bits))


def decode_clip(item, width, height):
    """The frame indices shown in a dataset item from a ``width x height`` coded video."""
    frames = item['inputs'].numpy().transpose(0, 2, 3, 1)
    matrices = item['data_samples']['input_from_frame'].numpy().astype(np.float64)
    return [decode_index(f, m, width, height) for f, m in zip(frames, matrices)]


def dot_video(path, num_frames=20, width=80, height=64, sigma=2.):
    """A black video with a Gaussian blob (peak 255) at ``DOT`` in every frame."""
    y, x = np.mgrid[:height, :width]
    blob = 255. * np.exp(-((x - DOT[0]) ** 2 + (y - DOT[1]) ** 2) / (2 * sigma ** 2))
    frame = np.repeat(np.rint(blob).astype(np.uint8)[..., None], 3, axis=2)
    return write_video(path, [frame] * num_frames)


def apply(matrix, points):
    """Apply a ``(3, 3)`` affine to ``(N, 2)`` points."""
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def blob_centre(img):
    """Sub-pixel ``(x, y)`` of the bright blob: centroid of the pixels above half height."""
    grey = img.astype(np.float64).mean(axis=2)
    weights = np.clip(grey - (np.median(grey) + grey.max()) / 2, 0, None)
    y, x = np.mgrid[:grey.shape[0], :grey.shape[1]]
    return np.array([(weights * x).sum(), (weights * y).sum()]) / weights.sum()


def starts(dataset):
    return [int(dataset[i]['data_samples']['frame_indices'][0]) for i in range(len(dataset))]


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('videos')
    return dict(root=str(root), small=coded_video(root / 'small.mp4'),
                large=coded_video(root / 'large.mp4', num_frames=24, width=96, height=72),
                dot=dot_video(root / 'dot.mp4'))


# ---------------------------------------------------------------- video_io

def test_video_info_and_read_frames(videos):
    assert video_info(videos['small']) == VideoInfo(num_frames=40, width=64, height=48,
                                                    fps=30.)
    frames = read_frames(videos['small'], [0, 5, 39])
    assert frames.shape == (3, 48, 64, 3) and frames.dtype == np.uint8
    assert [decode_index(f, np.eye(3), 64, 48) for f in frames] == [0, 5, 39]


def test_list_videos_folder_glob_and_list(videos, tmp_path):
    root = videos['root']
    expected = sorted([videos['dot'], videos['large'], videos['small']])
    assert list_videos(root) == expected
    assert list_videos('*.mp4', root=root) == expected
    assert list_videos(['small.mp4', videos['small'], 'l*.mp4'], root=root) == \
        [videos['large'], videos['small']]
    with pytest.raises(FileNotFoundError, match='nothing'):
        list_videos(str(tmp_path / 'nothing*.mp4'))
    with pytest.raises(FileNotFoundError, match='no video'):
        list_videos(str(tmp_path))


def test_reader_cache_is_per_process_and_not_pickled(videos):
    cache = VideoReaderCache(max_open=1)
    reader = cache.get(videos['small'])
    assert cache.get(videos['small']) is reader
    cache.get(videos['large'])
    assert list(cache._readers) == [(os.getpid(), videos['large'])]
    assert not pickle.loads(pickle.dumps(cache))._readers


# ---------------------------------------------------------------- VideoClipDataset

def pipeline(*steps, input_size=INPUT_SIZE):
    """``Resize(input_size)``, the given transform configs, then ``PackClipInputs``."""
    return [dict(type='Resize', input_size=input_size), *steps, dict(type='PackClipInputs')]


AFFINE = dict(type='RandomAffine', rotation=25., scale=(0.8, 1.2), prob=1.)
PHOTOMETRIC = dict(type='BrightnessContrast', brightness=0.2, contrast=0.2, prob=1.)


def test_clip_holds_consecutive_frames(videos):
    dataset = DATASETS.build(dict(type='VideoClipDataset', videos=videos['small'],
                                  pipeline=pipeline(), clip_length=8))
    assert len(dataset) == 40 // 8
    for i in range(len(dataset)):
        item = dataset[i]
        samples = item['data_samples']
        assert item['inputs'].shape == (8, 3, 40, 48) and item['inputs'].dtype == torch.uint8
        assert samples['input_from_frame'].shape == (8, 3, 3)
        assert samples['input_from_frame'].dtype == torch.float32
        assert samples['frame_indices'].dtype == torch.int64
        assert samples['video'] == videos['small']
        indices = samples['frame_indices'].tolist()
        assert indices == list(range(indices[0], indices[0] + 8))
        assert decode_clip(item, 64, 48) == indices


def test_pipeline_without_random_steps_is_plain_resizing(videos):
    """Resize alone gives exactly cv2.resize (INTER_AREA) of the decoded frames."""
    dataset = VideoClipDataset(videos['large'], pipeline=pipeline(), clip_length=5)
    sx, sy = 48 / 96, 40 / 72
    expected_matrix = np.array([[sx, 0., 0.5 * sx - 0.5], [0., sy, 0.5 * sy - 0.5], [0., 0., 1.]],
                               np.float32)
    for i in range(len(dataset)):
        item = dataset[i]
        indices = item['data_samples']['frame_indices'].numpy()
        expected = np.stack([cv2.resize(frame, INPUT_SIZE, interpolation=cv2.INTER_AREA)
                             for frame in read_frames(videos['large'], indices)])
        np.testing.assert_array_equal(item['inputs'].numpy().transpose(0, 2, 3, 1), expected)
        np.testing.assert_array_equal(item['data_samples']['input_from_frame'].numpy(),
                                      np.repeat(expected_matrix[None], 5, axis=0))


def test_clips_are_reproducible_and_change_with_epoch(videos):
    kwargs = dict(videos=videos['small'], pipeline=pipeline(), clip_length=4, seed=3)
    first, second = VideoClipDataset(**kwargs), VideoClipDataset(**kwargs)
    assert torch.equal(first[2]['inputs'], second[2]['inputs'])
    epoch0 = starts(first)
    assert starts(second) == epoch0
    first.set_epoch(1)
    assert first.epoch == 1
    assert starts(first) != epoch0
    second.set_epoch(1)
    assert starts(second) == starts(first)
    assert starts(VideoClipDataset(**{**kwargs, 'seed': 4})) != epoch0


def test_augmented_clip_is_reproducible_from_seed_index_and_epoch(videos):
    kwargs = dict(videos=videos['small'], pipeline=pipeline(AFFINE, PHOTOMETRIC),
                  clip_length=4, seed=3)
    first, second = VideoClipDataset(**kwargs), VideoClipDataset(**kwargs)
    first.set_epoch(2)
    second.set_epoch(2)
    np.random.seed(11)
    want = [first[i] for i in range(len(first))]
    np.random.seed(12)  # another global state, another order: the same clips
    for i in reversed(range(len(second))):
        got = second[i]
        assert torch.equal(got['inputs'], want[i]['inputs'])
        assert torch.equal(got['data_samples']['input_from_frame'],
                           want[i]['data_samples']['input_from_frame'])
    assert len({w['data_samples']['input_from_frame'][0].numpy().tobytes() for w in want}) == \
        len(want)  # a new draw per clip
    first.set_epoch(3)
    assert not torch.equal(first[0]['data_samples']['input_from_frame'],
                           want[0]['data_samples']['input_from_frame'])
    other_seed = VideoClipDataset(**{**kwargs, 'seed': 4})
    other_seed.set_epoch(2)
    assert not torch.equal(other_seed[0]['data_samples']['input_from_frame'],
                           want[0]['data_samples']['input_from_frame'])


def test_reading_a_clip_leaves_numpys_global_random_state_alone(videos):
    dataset = VideoClipDataset(videos['small'], pipeline=pipeline(AFFINE, PHOTOMETRIC),
                               clip_length=4)
    np.random.seed(5)
    expected = np.random.rand(3)
    np.random.seed(5)
    dataset[0]
    dataset[1]
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_videos_of_different_sizes(videos):
    dataset = VideoClipDataset([videos['small'], videos['large']], pipeline=pipeline(),
                               clip_length=8, clips_per_epoch=12)
    seen = set()
    for i in range(len(dataset)):
        item = dataset[i]
        samples = item['data_samples']
        width, height = (64, 48) if samples['video'] == videos['small'] else (96, 72)
        seen.add(samples['video'])
        assert item['inputs'].shape == (8, 3, 40, 48)
        np.testing.assert_allclose(samples['input_from_frame'][0, 0, 0], 48 / width)
        np.testing.assert_allclose(samples['input_from_frame'][0, 1, 1], 40 / height)
        assert decode_clip(item, width, height) == samples['frame_indices'].tolist()
    assert seen == {videos['small'], videos['large']}


def test_augmentation_moves_content_with_input_from_frame(videos):
    dataset = VideoClipDataset(videos['dot'], pipeline=pipeline(AFFINE, PHOTOMETRIC),
                               clip_length=4)
    matrices = set()
    for i in range(len(dataset)):
        item = dataset[i]
        matrix = item['data_samples']['input_from_frame'].numpy().astype(np.float64)
        assert (matrix == matrix[0]).all()  # one affine per clip
        matrix = matrix[0]
        matrices.add(matrix.tobytes())
        # keypoints round-trip frame -> input -> frame
        points = np.array([[0., 0.], [79., 63.], [DOT[0], DOT[1]], [12.5, 40.25]])
        back = apply(np.linalg.inv(matrix), apply(matrix, points))
        np.testing.assert_allclose(back, points, atol=1e-4)
        for frame in item['inputs'].numpy().transpose(0, 2, 3, 1):
            expected = apply(matrix, np.array([DOT]))[0]
            y, x = np.unravel_index(np.argmax(frame.sum(axis=2)), frame.shape[:2])
            assert np.hypot(x - expected[0], y - expected[1]) <= 1.5
            recovered = apply(np.linalg.inv(matrix), blob_centre(frame)[None])[0]
            assert np.hypot(*(recovered - DOT)) <= 0.5
    assert len(matrices) == len(dataset)  # a new draw per clip


def test_every_frame_of_a_clip_gets_the_same_affine(videos):
    """Each frame equals its resized frame warped by the clip's one affine, bit for bit."""
    kwargs = dict(videos=videos['small'], clip_length=6, seed=1)
    plain = VideoClipDataset(pipeline=pipeline(), **kwargs)
    warped = VideoClipDataset(pipeline=pipeline(AFFINE), **kwargs)
    resize = plain[0]['data_samples']['input_from_frame'][0].numpy().astype(np.float64)
    for i in range(len(plain)):
        before, after = plain[i], warped[i]
        assert torch.equal(before['data_samples']['frame_indices'],
                           after['data_samples']['frame_indices'])
        matrices = after['data_samples']['input_from_frame'].numpy()
        assert (matrices == matrices[0]).all()
        # the affine of the warp alone, recovered from input_from_frame = warp @ resize
        warp = matrices[0].astype(np.float64) @ np.linalg.inv(resize)
        assert not np.allclose(warp, np.eye(3), atol=1e-3)
        angle, scale = np.degrees(np.arctan2(warp[0, 1], warp[0, 0])), np.hypot(*warp[0, :2])
        assert -25 <= angle <= 25 and 0.8 <= scale <= 1.2
        expected = [warp_image(frame, warp)
                    for frame in before['inputs'].numpy().transpose(0, 2, 3, 1)]
        for frame, want in zip(after['inputs'].numpy().transpose(0, 2, 3, 1), expected):
            assert np.abs(frame.astype(int) - want).max() <= 1  # float32 matrix round trip


def test_photometric_change_is_identical_across_frames(videos):
    """One brightness/contrast table maps every frame of a clip, a new one for each clip."""
    kwargs = dict(videos=videos['large'], clip_length=8, seed=2)
    plain = VideoClipDataset(pipeline=pipeline(), **kwargs)
    changed = VideoClipDataset(pipeline=pipeline(PHOTOMETRIC), **kwargs)
    tables = set()
    for i in range(len(plain)):
        before = plain[i]['inputs'].numpy()
        after = changed[i]['inputs'].numpy()
        assert torch.equal(changed[i]['data_samples']['input_from_frame'],
                           plain[i]['data_samples']['input_from_frame'])
        table = {}
        for value in np.unique(before):
            outputs = np.unique(after[before == value])
            assert len(outputs) == 1, (i, value, outputs)  # one table for all 8 frames
            table[int(value)] = int(outputs[0])
        values = np.array(sorted(table))
        outputs = np.array([table[v] for v in values])
        inside = (outputs > 0) & (outputs < 255)
        alpha, beta = np.polyfit(values[inside], outputs[inside], 1)
        assert 0.8 - 0.01 <= alpha <= 1.2 + 0.01 and -51.5 <= beta <= 51.5
        assert np.abs(np.clip(values * alpha + beta, 0, 255) - outputs).max() <= 1
        assert not (values == outputs).all()
        tables.add(tuple(outputs))
    assert len(tables) == len(plain)


def test_test_mode_gives_the_same_clips_in_every_epoch(videos):
    kwargs = dict(videos=videos['small'], pipeline=pipeline(AFFINE), clip_length=4)
    plain = VideoClipDataset(**kwargs)
    fixed = VideoClipDataset(**kwargs, test_mode=True)
    assert starts(plain) == starts(fixed)
    first = fixed[0]
    fixed.set_epoch(5)
    assert torch.equal(fixed[0]['inputs'], first['inputs'])
    assert torch.equal(fixed[0]['data_samples']['input_from_frame'],
                       first['data_samples']['input_from_frame'])


def test_augmentation_does_not_change_which_frames_are_drawn(videos):
    kwargs = dict(videos=videos['small'], clip_length=4)
    plain = VideoClipDataset(pipeline=pipeline(), **kwargs)
    augmented = VideoClipDataset(
        pipeline=pipeline(dict(type='RandomAffine', rotation=10.), PHOTOMETRIC), **kwargs)
    assert starts(plain) == starts(augmented)


def test_pipeline_errors_are_clear(videos):
    with pytest.raises(ValueError, match="must end with dict\\(type='PackClipInputs'\\)"):
        VideoClipDataset(videos['small'], pipeline=[dict(type='Resize', input_size=(8, 8))])
    with pytest.raises(ValueError, match='PackClipInputs'):
        VideoClipDataset(videos['small'], pipeline=[])
    with pytest.raises(KeyError, match="did you mean 'RandomAffine'"):
        VideoClipDataset(videos['small'], pipeline=pipeline(dict(type='RandomAfine')))
    with pytest.raises(ValueError, match='needs keypoints'):
        VideoClipDataset(videos['small'], pipeline=pipeline(
            dict(type='GenerateTarget', codec=dict(type='HeatmapCodec', input_size=(8, 8)))),
            clip_length=4)[0]


def test_missing_unreadable_and_short_videos_are_named(videos, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        VideoClipDataset([videos['small'], str(tmp_path / 'missing.mp4')], pipeline=pipeline())
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes())
    with pytest.raises(VideoReadError, match='bad.mp4'):
        VideoClipDataset([videos['small'], str(bad)], pipeline=pipeline())
    short = coded_video(tmp_path / 'short.mp4', num_frames=10)
    with pytest.raises(ValueError, match=r'short\.mp4.* 10 frames.*clip_length=16'):
        VideoClipDataset(short, pipeline=pipeline(), clip_length=16)


def test_clip_collate_passes_one_clip_through_and_stacks_several(videos):
    dataset = VideoClipDataset(videos['small'], pipeline=pipeline(), clip_length=4)
    first, second = dataset[0], dataset[1]
    assert clip_collate([first]) is first
    batch = clip_collate([first, second])
    assert batch['inputs'].shape == (2, 4, 3, INPUT_SIZE[1], INPUT_SIZE[0])
    assert torch.equal(batch['inputs'][1], second['inputs'])
    assert batch['data_samples']['input_from_frame'].shape == (2, 4, 3, 3)
    assert torch.equal(batch['data_samples']['frame_indices'][0],
                       first['data_samples']['frame_indices'])
    assert batch['data_samples']['video'] == [videos['small']] * 2
    longer = VideoClipDataset(videos['small'], pipeline=pipeline(), clip_length=5)[0]
    with pytest.raises(ValueError, match=r'same length, got lengths \[4, 5\]'):
        clip_collate([first, longer])
    with pytest.raises(ValueError, match='empty batch'):
        clip_collate([])


def test_dataloader_workers_decode_clips(videos):
    """Built (and even read once) in the main process, then used by 2 forked workers."""
    dataset = VideoClipDataset([videos['small'], videos['large']],
                               pipeline=pipeline(AFFINE, PHOTOMETRIC), clip_length=8,
                               clips_per_epoch=6)
    expected = [dataset[i] for i in range(len(dataset))]  # opens readers in this process
    loader = DataLoader(dataset, batch_size=1, num_workers=2, collate_fn=clip_collate,
                        timeout=60, persistent_workers=True)
    for epoch in range(2):
        dataset.set_epoch(epoch)
        if epoch:
            expected = [dataset[i] for i in range(len(dataset))]
        clips = list(loader)
        assert len(clips) == len(dataset)
        for clip, want in zip(clips, expected):
            assert clip['inputs'].shape == (8, 3, 40, 48)
            assert torch.equal(clip['inputs'], want['inputs'])
            assert torch.equal(clip['data_samples']['frame_indices'],
                               want['data_samples']['frame_indices'])
            assert torch.equal(clip['data_samples']['input_from_frame'],
                               want['data_samples']['input_from_frame'])


@pytest.mark.parametrize('load', [
    'import posekit.datasets.video_io',
    # the decord backend on its own, so its import order is tested, not the package's
    'import importlib.util\n'
    "spec = importlib.util.spec_from_file_location('video_decord', {path!r})\n"
    'spec.loader.exec_module(importlib.util.module_from_spec(spec))',
], ids=['package', 'module'])
def test_importing_video_io_first_keeps_png_reading_working(tmp_path, load):
    """decord imported before cv2 breaks cv2.imread of PNGs; video_decord must prevent it."""
    pytest.importorskip('decord', reason='decord is not installed: nothing to order')
    png = str(tmp_path / 'dot.png')
    cv2.imwrite(png, np.full((8, 8, 3), 7, np.uint8))
    path = os.path.join(os.path.dirname(posekit.datasets.__file__), 'video_decord.py')
    code = ('import sys\n'
            f'{load.format(path=path)}\n'
            "assert 'decord' in sys.modules\n"
            'import cv2\n'
            f'img = cv2.imread({png!r})\n'
            'assert img is not None and int(img[0, 0, 0]) == 7\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
