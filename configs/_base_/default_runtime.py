# Shared runtime: registries, hooks, logging, visualisation, randomness.
default_scope = 'posekit'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the latest and the best checkpoint by validation pixel error; crash-safe saves
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=1,
                    save_best='pixel_error', rule='less'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # checkpoints load with torch.load(weights_only=True): no pickled numpy objects inside
    safe_checkpoint=dict(type='SafeCheckpointHook'),
    # fits every PCA loss on the train labels before training (does nothing without one)
    pca_fit=dict(type='PCAFitHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
log_level = 'INFO'

load_from = None
resume = False
randomness = dict(seed=0)
