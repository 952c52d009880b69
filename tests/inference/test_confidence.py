"""Keypoints never confident on a video: the report, the warning, the summaries naming them."""
import json
import logging

import numpy as np
import pytest
import torch

from posekit.datasets.io import to_dataframe
from posekit.engine.hooks.predict_videos import write_training_summary
from posekit.inference import confidence
from posekit.inference.confidence import ConfidenceReport, confidence_report
from posekit.inference.evaluation import EvaluatedVideos
from posekit.inference.video_runs import predict_one
from posekit.registry import HOOKS
from .conftest import NAMES, NUM_FRAMES, make_model
from .test_evaluation import runner_for


def table(likelihood):
    """A prediction table of ``(T, 3)`` likelihoods for ``NAMES`` (keypoints at 0)."""
    likelihood = np.asarray(likelihood, float)
    return to_dataframe(range(len(likelihood)), NAMES, np.zeros((*likelihood.shape, 2)),
                        likelihood=likelihood, scorer='toy')


def logged(monkeypatch):
    lines = []
    monkeypatch.setattr(confidence, 'print_log',
                        lambda msg, **kw: lines.append((msg, kw['level'])))
    return lines


def test_a_keypoint_at_0_03_on_every_frame_is_named(monkeypatch):
    likelihood = np.tile([0.9, 0.5, 0.03], (20, 1))
    likelihood[::2, 1] = 0.7
    report = confidence_report(table(likelihood))
    assert report.mean == pytest.approx(dict(nose=0.9, ear=0.6, tail=0.03))
    assert report.max == pytest.approx(dict(nose=0.9, ear=0.7, tail=0.03))
    assert report.never_confident() == ['tail']
    lines = logged(monkeypatch)
    assert confidence.warn_never_confident('/v/clip.mp4', report) == ['tail']
    assert lines == [('/v/clip.mp4: keypoint(s) tail below confidence 0.05 on every frame: '
                      'probably not learned (too few labels, too short a training, or too '
                      'small in the input?)', logging.WARNING)]


def test_threshold_boundary_is_exact(monkeypatch):
    likelihood = np.tile([0.05, 0.049, 0.01], (10, 1))
    likelihood[3, 2] = 0.05  # one frame at the threshold is confident
    report = confidence_report(table(likelihood))
    assert report.never_confident(0.05) == ['ear']
    assert report.never_confident(0.049) == []
    assert report.never_confident(np.nextafter(0.05, 1)) == NAMES
    lines = logged(monkeypatch)
    assert confidence.warn_never_confident('v.mp4', report, 0.049) == []
    assert lines == []  # nothing to say, nothing logged


def test_models_without_confidences_and_nan_frames():
    likelihood = np.full((6, 3), np.nan)
    likelihood[2:, 0] = 0.02
    report = confidence_report(table(likelihood))
    assert report.mean['nose'] == pytest.approx(0.02) and np.isnan(report.mean['tail'])
    assert report.never_confident() == ['nose']  # NaN frames ignored, NaN keypoints never


def test_training_summary_names_the_keypoint_and_lists_mean_confidences(tmp_path):
    evaluation = EvaluatedVideos(
        metrics={'video/a/temporal_norm': 1.5, 'video/a/pixel_error': float('nan')},
        confidence={'a.mp4': ConfidenceReport(dict(nose=0.8, ear=float('nan'), tail=0.03),
                                              dict(nose=0.9, ear=float('nan'), tail=0.04))})
    path = tmp_path / 'training_summary.json'
    write_training_summary(str(path), evaluation, ['a.mp4', 'b.mp4'], 'best.pth', 0.05)
    assert json.loads(path.read_text()) == dict(
        weights='best.pth', min_confidence=0.05,
        warnings=[confidence.never_confident_message('a.mp4', ['tail'], 0.05)],
        test_videos=[dict(video='a.mp4', never_confident=['tail'],
                          mean_confidence=dict(nose=0.8, ear=None, tail=0.03))],
        failed_videos=['b.mp4'],
        metrics={'video/a/temporal_norm': 1.5, 'video/a/pixel_error': None})
    assert 'tail below confidence 0.05' in json.loads(path.read_text())['warnings'][0]
    assert [p.name for p in tmp_path.iterdir()] == ['training_summary.json']  # no temp left


def low_tail_model():
    """The conftest model with the ``tail`` heatmap flat: confidence (5 × 5) / (16 × 24)."""
    model = make_model()
    forward = model.head.forward

    def flat_tail(feats):
        maps = forward(feats)
        maps[:, 2] = 1. / maps[0, 2].numel()
        return maps

    model.head.forward = flat_tail
    return model


def test_hook_warns_and_writes_the_summary(video, tmp_path, monkeypatch):
    model = low_tail_model()
    lines = logged(monkeypatch)
    runner = runner_for(model, video, {}, tmp_path)
    HOOKS.build(dict(type='PredictVideosHook', min_confidence=0.07)).after_train(runner)
    summary = json.loads((tmp_path / 'training_summary.json').read_text())
    entry, = summary['test_videos']
    assert entry['video'] == video and entry['never_confident'] == ['tail']
    assert entry['mean_confidence']['tail'] == pytest.approx(25 / 384, abs=1e-5)
    assert entry['mean_confidence']['nose'] > 0.9
    assert summary['weights'] == 'final' and summary['min_confidence'] == 0.07
    assert summary['warnings'] == [lines[0][0]] and f'{video}: keypoint(s) tail ' in lines[0][0]
    assert lines[0][1] == logging.WARNING and len(lines) == 1
    # the default threshold, 0.05, is below the flat map's 25 / 384 = 0.065: no warning
    HOOKS.build(dict(type='PredictVideosHook')).after_train(runner_for(
        low_tail_model(), video, {}, tmp_path))
    assert json.loads((tmp_path / 'training_summary.json').read_text())['warnings'] == []


def test_predict_run_names_never_confident_keypoints_also_when_skipped(video, tmp_path):
    out = str(tmp_path / 'out')
    model = low_tail_model()
    with torch.no_grad():
        done = predict_one(model, video, 'clip', out, False, conf_threshold=0.07)
    assert (done.status, done.frames, done.never_confident) == ('done', NUM_FRAMES, 'tail')
    skipped = predict_one(model, video, 'clip', out, False, conf_threshold=0.07)
    assert (skipped.status, skipped.never_confident) == ('skipped', 'tail')
    assert predict_one(model, video, 'clip', out, False, conf_threshold=0.06).never_confident \
        == ''
