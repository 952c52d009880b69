"""posekit.apis.device.resolve_device on this machine and, through mocks, on CUDA and MPS ones."""
import pytest
import torch

from posekit.apis.device import resolve_device


@pytest.fixture
def no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.backends.mps, 'is_available', lambda: False)


def test_cpu_always_resolves(no_accelerator):
    assert resolve_device('cpu') == torch.device('cpu')
    assert resolve_device(' CPU ') == torch.device('cpu')
    assert resolve_device(torch.device('cpu')) == torch.device('cpu')


@pytest.mark.parametrize('name', ['gpu', 'tpu', 'xla', 'cpu:1', 'mps:1', '', 'cuda:x'])
def test_unknown_names_list_the_choices(no_accelerator, name):
    with pytest.raises(ValueError) as error:
        resolve_device(name)
    assert str(error.value) == f'unknown device {name!r}; choose one of: cpu, cuda, cuda:N, mps'


@pytest.mark.parametrize('name', ['cuda', 'cuda:0', 'CUDA:1'])
def test_cuda_without_cuda_is_one_line(no_accelerator, name):
    with pytest.raises(ValueError) as error:
        resolve_device(name)
    assert str(error.value) == (f'device {name.lower()!r}: CUDA is not available on this '
                                f'machine (torch {torch.__version__}); use cpu')


def test_mps_without_mps_is_one_line(no_accelerator):
    with pytest.raises(ValueError) as error:
        resolve_device('mps')
    assert str(error.value) == ("device 'mps': MPS is not available here (it needs an Apple "
                                'silicon Mac and a torch built with MPS); use cpu')


def test_cuda_devices_are_counted(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    assert resolve_device('cuda') == torch.device('cuda')
    assert resolve_device('cuda:1') == torch.device('cuda', 1)
    with pytest.raises(ValueError) as error:
        resolve_device('cuda:2')
    assert str(error.value) == "device 'cuda:2': this machine has 2 CUDA device(s), cuda:0 " \
        'to cuda:1'


def test_mps_where_available(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, 'is_available', lambda: True)
    assert resolve_device('mps') == torch.device('mps')
    assert resolve_device('MPS:0') == torch.device('mps', 0)
