import io

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer

from posekit.engine.hooks.safe_checkpoint import from_plain, to_plain


def test_plain_meta_loads_with_weights_only_and_restores_buffers():
    meta = dict(dataset_meta=ConfigDict(keypoint_names=['a', 'b'],
                                        views=ConfigDict(top=['a']), skeleton=[('a', 'b')]),
                seed=np.int64(3), scores=np.array([1.5, 2.5]),
                hub=HistoryBuffer([1., 2.], [1, 1], max_length=5))
    plain = to_plain(meta)
    assert type(plain['dataset_meta']) is dict and type(plain['dataset_meta']['views']) is dict
    buffer = io.BytesIO()
    torch.save(plain, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert loaded['dataset_meta'] == dict(keypoint_names=['a', 'b'], views=dict(top=['a']),
                                          skeleton=[('a', 'b')])
    assert loaded['seed'] == 3 and loaded['scores'].tolist() == [1.5, 2.5]
    restored = from_plain(loaded)['hub']
    assert isinstance(restored, HistoryBuffer) and restored.data[0].tolist() == [1., 2.]
