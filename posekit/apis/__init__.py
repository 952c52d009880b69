"""High-level entry points used by tools/ and by users' scripts."""
from .config import prepare_data, prepare_test_config, prepare_train_config
from .inference import (VideoInference, VideoOutputs, VideoPrediction, evaluate_test_videos,
                        evaluate_video, init_model, pca_error_tables, predict_frames,
                        predict_video, prepare_for_inference, temporal_norm,
                        write_test_outputs, write_video_outputs)
from .model_info import fill_model_info
from .two_stage import init_predictor, init_two_stage_model

__all__ = ['fill_model_info', 'prepare_data', 'prepare_test_config', 'prepare_train_config',
           'VideoInference', 'VideoOutputs', 'VideoPrediction', 'evaluate_test_videos',
           'evaluate_video', 'init_model', 'init_predictor', 'init_two_stage_model',
           'pca_error_tables', 'predict_frames', 'predict_video', 'prepare_for_inference',
           'temporal_norm', 'write_test_outputs', 'write_video_outputs']
