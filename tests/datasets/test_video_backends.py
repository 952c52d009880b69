"""decord and PyAV behind posekit.datasets.video_io: the same frames, counts, rates, errors.

"The same frames" is bit-for-bit here: both backends decode with FFmpeg and convert yuv420p
to RGB with swscale's default (BT.601, limited range) coefficients, and on every video below
the largest pixel difference is 0. The encoded videos carry B-frames and a keyframe every 10
frames, so random indices exercise reordering and seeks to the last keyframe.
"""
import os
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from posekit.datasets import toy, video_io
from posekit.datasets.video_io import (BACKEND_ENV, VideoReadError, open_video, read_frames,
                                       video_backend, video_info)
from posekit.datasets.video_pyav import PyAVReader

ROOT = Path(__file__).resolve().parents[2]
MIRROR_MOUSE = ROOT / 'data' / 'mirror-mouse-example' / 'videos' / 'test_vid.mp4'
NUM_FRAMES, SIZE = 75, (96, 64)  # encoded videos: frames, (W, H)
needs_decord = pytest.mark.skipif(video_io.video_decord is None,
                                  reason='decord is not installed on this platform')


def source_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the encoded videos: 16 x 16 blocks of random colours."""
    width, height = SIZE
    blocks = np.random.default_rng(index).integers(0, 256, (height // 16, width // 16, 3))
    return np.kron(blocks, np.ones((16, 16, 1))).astype(np.uint8)


def encode(path: Path, codec: str) -> str:
    """Write the ``NUM_FRAMES`` source frames with PyAV, 2 B-frames, a keyframe every 10."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height = SIZE
        stream.pix_fmt = 'yuv420p'
        stream.codec_context.gop_size = 10
        stream.codec_context.max_b_frames = 2
        stream.bit_rate = 4_000_000
        if codec == 'libx264':
            stream.options = {'bf': '2', 'g': '10', 'keyint_min': '10', 'sc_threshold': '0'}
        for index in range(NUM_FRAMES):
            frame = av.VideoFrame.from_ndarray(source_frame(index), format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@pytest.fixture(scope='module')
def encoded(tmp_path_factory):
    root = tmp_path_factory.mktemp('encoded')
    return {'mp4': encode(root / 'h264.mp4', 'libx264'),
            'mkv': encode(root / 'h264.mkv', 'libx264'),
            'avi': encode(root / 'mpeg4.avi', 'mpeg4')}


@pytest.fixture(scope='module')
def toy_root():
    return toy.ensure_toy_data(str(ROOT / 'data' / 'toy'))


def backend_reader(monkeypatch, backend: str, path: str):
    """``open_video(path)`` with ``POSEKIT_VIDEO_BACKEND=backend``."""
    monkeypatch.setenv(BACKEND_ENV, backend)
    return open_video(path)


def shuffled_indices(num_frames: int, count: int = 40) -> list[int]:
    """``count`` random indices in random order (backward and forward seeks, repeats), a
    sequential run across a keyframe, the last frame and negative indices."""
    rng = np.random.default_rng(0)
    run = int(rng.integers(0, num_frames - 24))
    return (rng.integers(0, num_frames, count).tolist() + list(range(run, run + 24))
            + [num_frames - 1, 0, -1, -num_frames, 3, 3])


def assert_backends_agree(monkeypatch, path: str, count: int = 40) -> None:
    """Same count, rate, size and frames (bit-identical) from decord and PyAV, read one by
    one and in a batch at :func:`shuffled_indices` ``(len, count)``."""
    readers = {b: backend_reader(monkeypatch, b, path) for b in video_io.BACKENDS}
    assert len(readers['pyav']) == len(readers['decord'])
    assert readers['pyav'].fps == pytest.approx(readers['decord'].fps, rel=1e-9)
    infos = []
    for backend in video_io.BACKENDS:
        monkeypatch.setenv(BACKEND_ENV, backend)
        infos.append(video_info(path))
    assert infos[0] == infos[1]
    indices = shuffled_indices(len(readers['decord']), count)
    one_by_one = {b: np.stack([read_frames(r, [i])[0] for i in indices])
                  for b, r in readers.items()}
    batch = {b: read_frames(r, indices) for b, r in readers.items()}
    assert one_by_one['decord'].shape == (len(indices), infos[0].height, infos[0].width, 3)
    for frames in (one_by_one, batch):
        assert np.abs(frames['pyav'].astype(int) - frames['decord']).max() == 0
    assert np.array_equal(batch['pyav'], one_by_one['pyav'])


@pytest.mark.parametrize('name', ['mp4', 'mkv', 'avi'])
def test_pyav_returns_the_encoded_frames(encoded, monkeypatch, name):
    reader = backend_reader(monkeypatch, 'pyav', encoded[name])
    assert isinstance(reader, PyAVReader)
    assert (len(reader), reader.fps) == (NUM_FRAMES, 25.)
    indices = shuffled_indices(NUM_FRAMES)
    sources = np.stack([source_frame(i) for i in range(NUM_FRAMES)]).astype(int)
    for index, frame in zip(indices, read_frames(reader, indices)):
        errors = np.abs(sources - frame).mean(axis=(1, 2, 3))
        assert np.argmin(errors) == index % NUM_FRAMES
        assert errors[index] < 5  # lossy compression; other frames differ by > 60
    # MP4 and Matroska seek by pts; the AVI demuxer by decoding timestamps
    assert reader._seek_column == (1 if name == 'avi' else 0)


@needs_decord
@pytest.mark.parametrize('name', ['mp4', 'mkv'])
def test_backends_agree_on_b_frame_videos(encoded, monkeypatch, name):
    # not on the AVI: decord 0.6.0 misnumbers B-frames there (PyAV's frames are the
    # encoded ones, test above)
    assert_backends_agree(monkeypatch, encoded[name])


@needs_decord
@pytest.mark.parametrize('session', ['videos/session1.mp4', 'videos_test/session3.mp4'])
def test_backends_agree_on_toy_videos(toy_root, monkeypatch, session):
    assert_backends_agree(monkeypatch, os.path.join(toy_root, session))


@pytest.mark.slow
@needs_decord
@pytest.mark.skipif(not MIRROR_MOUSE.is_file(),
                    reason=f'{MIRROR_MOUSE.relative_to(ROOT)} is not in this checkout')
def test_backends_agree_on_the_mirror_mouse_video(monkeypatch):
    # h264 with B-frames and a keyframe every ~200 frames: each random index decodes ~100
    assert_backends_agree(monkeypatch, str(MIRROR_MOUSE), count=8)


def test_backend_choice(monkeypatch, encoded):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert video_backend() == ('pyav' if video_io.video_decord is None else 'decord')
    monkeypatch.setenv(BACKEND_ENV, ' PyAV ')
    assert video_backend() == 'pyav'
    assert isinstance(open_video(encoded['mp4']), PyAVReader)
    monkeypatch.setenv(BACKEND_ENV, 'ffmpeg')
    with pytest.raises(ValueError) as error:
        open_video(encoded['mp4'])
    assert str(error.value) == \
        "POSEKIT_VIDEO_BACKEND='ffmpeg' is not a video backend; choose one of: decord, pyav"
    monkeypatch.setattr(video_io, 'video_decord', None)
    monkeypatch.setattr(video_io, '_DECORD_MISSING', "No module named 'decord'")
    monkeypatch.delenv(BACKEND_ENV)
    assert video_backend() == 'pyav'  # the automatic fallback
    assert isinstance(open_video(encoded['mkv']), PyAVReader)
    monkeypatch.setenv(BACKEND_ENV, 'decord')
    with pytest.raises(ValueError, match=r"^POSEKIT_VIDEO_BACKEND=decord, but decord does not "
                       r"import \(No module named 'decord'\); unset it to use pyav$"):
        video_backend()


def unreadable_files(root: Path) -> dict[str, str]:
    """Files no backend can read: random bytes, an empty file, text, and a WAV (no video)."""
    paths = {name: root / name for name in ('random.mp4', 'empty.mp4', 'text.avi', 'tone.wav')}
    paths['random.mp4'].write_bytes(np.random.default_rng(0).integers(0, 256, 4096,
                                                                      np.uint8).tobytes())
    paths['empty.mp4'].write_bytes(b'')
    paths['text.avi'].write_text('not a video')
    with wave.open(str(paths['tone.wav']), 'wb') as tone:
        tone.setnchannels(1)
        tone.setsampwidth(2)
        tone.setframerate(8000)
        tone.writeframes((np.sin(np.arange(800) / 3.) * 8000).astype('<i2').tobytes())
    return {name: str(path) for name, path in paths.items()}


@pytest.mark.parametrize('backend', [
    pytest.param('decord', marks=needs_decord), 'pyav'])
def test_unreadable_files_give_the_same_message(monkeypatch, tmp_path, backend):
    monkeypatch.setenv(BACKEND_ENV, backend)
    for path in unreadable_files(tmp_path).values():
        with pytest.raises(VideoReadError) as error:
            video_info(path)
        prefix = f'cannot read video {path!r}: not a video file, or corrupt ({backend}: '
        assert str(error.value).startswith(prefix) and str(error.value).endswith(')')
        assert '\n' not in str(error.value)
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        open_video(str(tmp_path / 'missing.mp4'))


@pytest.mark.parametrize('backend', [
    pytest.param('decord', marks=needs_decord), 'pyav'])
def test_out_of_range_and_empty_reads(monkeypatch, encoded, backend):
    reader = backend_reader(monkeypatch, backend, encoded['mp4'])
    with pytest.raises(VideoReadError) as error:
        read_frames(reader, [3, NUM_FRAMES, -NUM_FRAMES - 1])
    assert str(error.value) == (f'cannot decode frames [{NUM_FRAMES}, {-NUM_FRAMES - 1}] of '
                                f'{encoded["mp4"]!r}: it has {NUM_FRAMES} frames')
    assert read_frames(reader, []).shape == (0, SIZE[1], SIZE[0], 3)
    assert np.array_equal(read_frames(reader, [-1]), read_frames(reader, [NUM_FRAMES - 1]))


@pytest.mark.parametrize('wrong_columns', [(0,), (0, 1)], ids=['pts', 'pts+dts'])
def test_pyav_recovers_when_a_seek_lands_past_the_frame(encoded, monkeypatch, wrong_columns):
    reader = backend_reader(monkeypatch, 'pyav', encoded['mp4'])
    assert len(reader._keyframes) > 3 and reader._seek_column == 0
    # make keyframe 2's seek land on keyframe 3, as a demuxer with other seek semantics would
    wrong = list(reader._seek_stamps[2])
    for column in wrong_columns:
        wrong[column] = reader._seek_stamps[3][column]
    reader._seek_stamps[2] = tuple(wrong)
    index = reader._keyframes[2] + 1
    frame = read_frames(reader, [index])[0].astype(int)
    assert np.abs(frame - source_frame(index)).mean() < 5
    assert reader._seek_column == 1  # later seeks go by decoding timestamps
