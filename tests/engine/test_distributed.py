"""CPU distributed setup: gloo backend, a DDP wrapper without device ids, identical PCA fits,
unlabeled clips sharded per rank (multi-process runs: tests/test_fault_injection.py)."""
import socket

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from posekit.engine.distributed import DeviceAgnosticDDP, dist_backend, setup_distributed
from posekit.engine.hooks import PCAFitHook
from .test_pca_fit_hook import MULTI, SINGLE, FakeLabels, Model, fake_runner, labels

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')


@pytest.fixture
def process_group(monkeypatch):
    """A one-process gloo group started the way torchrun's environment asks."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    yield
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def test_setup_distributed_on_cpu(process_group):
    cfg = Config(dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    assert dist_backend() == 'gloo'
    setup_distributed(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='DeviceAgnosticDDP', broadcast_buffers=False,
                                         find_unused_parameters=True)
    assert torch_dist.is_initialized() and torch_dist.get_backend() == 'gloo'
    # the Runner passes device_ids=[LOCAL_RANK]; a CPU module gets none
    model = MODEL_WRAPPERS.build(cfg.model_wrapper_cfg,
                                 default_args=dict(module=nn.Linear(2, 1), device_ids=[0]))
    assert isinstance(model, DeviceAgnosticDDP) and model.device_ids is None
    model(torch.ones(3, 2)).sum().backward()
    assert model.module.weight.grad.shape == (1, 2)


def test_setup_distributed_leaves_single_process_configs_alone():
    cfg = Config(dict(launcher='none', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    setup_distributed(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl' and 'model_wrapper_cfg' not in cfg
    assert not torch_dist.is_initialized()
    with pytest.raises(ValueError, match='--launcher slurm needs CUDA; on CPUs start the '
                       'processes with torchrun'):
        setup_distributed(Config(dict(launcher='slurm')))


def test_pca_fits_are_identical_on_every_rank(process_group):
    setup_distributed(Config(dict(launcher='pytorch')))
    fits = []
    for _ in range(2):  # two ranks fit the same labels independently
        model = Model([SINGLE], [MULTI])
        runner, _ = fake_runner(model, FakeLabels(labels()))
        PCAFitHook().before_train(runner)
        fits.append(model.state_dict())
    assert fits[0].keys() == fits[1].keys() and len(fits[0]) > 4
    for key, value in fits[0].items():
        assert torch.equal(value, fits[1][key]), key


def test_unlabeled_clips_are_sharded_per_rank(monkeypatch):
    shards = []
    for rank in range(2):
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda r=rank: (r, 2))
        sampler = DefaultSampler(list(range(10)), shuffle=True, seed=3)
        sampler.set_epoch(1)
        shards.append(list(sampler))
    assert len(shards[0]) == len(shards[1]) == 5
    assert sorted(shards[0] + shards[1]) == list(range(10))
    assert np.intersect1d(shards[0], shards[1]).size == 0
