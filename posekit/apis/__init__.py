"""High-level entry points used by tools/ and by users' scripts."""
from .config import (fill_num_keypoints, prepare_data, prepare_test_config,
                     prepare_train_config)

__all__ = ['fill_num_keypoints', 'prepare_data', 'prepare_test_config', 'prepare_train_config']
