"""High-level entry points used by tools/ and by users' scripts."""
from .config import prepare_data, prepare_test_config, prepare_train_config
from .model_info import fill_model_info
from .inference import (evaluate_test_videos, init_model, pca_error_tables, predict_frames,
                        predict_video, prepare_for_inference, temporal_norm, write_test_outputs,
                        write_video_outputs)

__all__ = ['fill_model_info', 'prepare_data', 'prepare_test_config', 'prepare_train_config',
           'evaluate_test_videos', 'init_model', 'pca_error_tables', 'predict_frames',
           'predict_video', 'prepare_for_inference', 'temporal_norm', 'write_test_outputs',
           'write_video_outputs']
