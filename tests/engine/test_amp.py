"""--amp's choice of optimizer wrapper per device, with the hardware mocked where absent."""
import logging

import pytest
import torch

from posekit.engine import amp

OPTIM = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))


@pytest.fixture
def logs(monkeypatch):
    lines = []
    monkeypatch.setattr(amp, 'print_log', lambda msg, **kw: lines.append((msg, kw['level'])))
    return lines


@pytest.mark.parametrize('bf16, expected', [(True, 'BF16OptimWrapper'),
                                            (False, 'AmpOptimWrapper')])
def test_cuda_takes_bf16_else_fp16(monkeypatch, logs, bf16, expected):
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)
    cfg = amp.amp_optim_wrapper(OPTIM, device='cuda')
    assert cfg == {**OPTIM, 'type': expected} and OPTIM['type'] == 'OptimWrapper'
    assert logs == []


def test_cpu_with_bf16(monkeypatch, logs):
    monkeypatch.setattr(amp, 'cpu_supports_bf16', lambda: True)
    assert amp.amp_optim_wrapper(OPTIM, device='cpu')['type'] == 'BF16OptimWrapper'
    assert logs == []


@pytest.mark.parametrize('device, reason', [
    ('cpu', 'this CPU has no native bf16 support'),
    ('mps', "mmengine's validation loop cannot autocast on mps"),
    ('npu', "mmengine's validation loop cannot autocast on npu")])
def test_float32_fallback_logs_one_line(monkeypatch, logs, device, reason):
    monkeypatch.setattr(amp, 'cpu_supports_bf16', lambda: False)
    assert amp.amp_optim_wrapper(OPTIM, device=device) == OPTIM
    assert logs == [(f'--amp: {reason}; training in float32', logging.WARNING)]


def test_default_device_is_mmengines(monkeypatch, logs):
    monkeypatch.setattr(amp, 'get_device', lambda: 'mps')
    monkeypatch.setattr(amp, 'cpu_supports_bf16', lambda: True)  # the CPU does not decide
    assert amp.amp_optim_wrapper(OPTIM) == OPTIM
    assert len(logs) == 1 and 'on mps' in logs[0][0]
