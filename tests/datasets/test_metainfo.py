import pytest
from mmengine.config import Config

from posekit.apis.model_info import config_codec, fill_model_info
from posekit.datasets.metainfo import build_metainfo, keypoint_index, view_keypoints

NAMES = ['nose_top', 'paw_top', 'nose_bot', 'paw_bot', 'obstacle']


def test_build_metainfo_resolves_indices_to_names():
    meta = build_metainfo(NAMES, views=dict(top=['nose_top', 1], bot=[2, 'paw_bot']),
                          skeleton=[(0, 'paw_top')], flip_pairs=[('nose_top', 'nose_bot')],
                          scorer='me')
    assert meta == dict(keypoint_names=NAMES, num_keypoints=5, scorer='me',
                        views=dict(top=['nose_top', 'paw_top'], bot=['nose_bot', 'paw_bot']),
                        skeleton=[('nose_top', 'paw_top')],
                        flip_pairs=[('nose_top', 'nose_bot')])
    assert view_keypoints(meta, None, 'me') == [[0, 1], [2, 3]]
    assert view_keypoints(meta, ['bot'], 'me') == [[2, 3]]
    assert keypoint_index(NAMES, 'obstacle', 'me') == 4


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(views=dict(top=['nose_top', 'tail_top'])), KeyError,
     r"metainfo.views.top: unknown keypoint 'tail_top'; the labels have \['nose_top'"),
    (dict(views=dict(top=['nose_top', 'paw_top'], bot=['nose_bot'])), ValueError,
     r"lengths differ: \{'top': 2, 'bot': 1\}"),
    (dict(views=dict(top=['nose_top'], bot=['nose_top'])), ValueError,
     "keypoint 'nose_top' is in views 'top' and 'bot'"),
    (dict(skeleton=[('nose_top', 'paw_top', 'obstacle')]), ValueError,
     'metainfo.skeleton: each entry must be a pair'),
    (dict(flip_pairs=[(0, 9)]), KeyError, 'metainfo.flip_pairs: keypoint index 9 is out of'),
    (dict(views=dict(top='nose_top')), ValueError, 'metainfo.views.top: give a non-empty list'),
])
def test_build_metainfo_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        build_metainfo(NAMES, **kwargs)


def test_view_keypoints_names_unknown_views():
    with pytest.raises(KeyError, match=r"loss: unknown view\(s\) \['side'\]"):
        view_keypoints(build_metainfo(NAMES), ['side'], 'loss')


def test_config_codec_takes_the_input_size_once():
    assert config_codec(Config(dict(codec=dict(type='HeatmapCodec'), input_size=(64, 32)))) \
        == dict(type='HeatmapCodec', input_size=(64, 32))
    with pytest.raises(ValueError, match=r'codec.input_size=\(32, 32\) differs from '
                                         r'input_size=\(64, 32\): give the input size once'):
        config_codec(Config(dict(codec=dict(type='HeatmapCodec', input_size=(32, 32)),
                                 input_size=(64, 32))))
    with pytest.raises(ValueError, match='the config declares no codec'):
        config_codec(Config(dict(input_size=(64, 32))))


def test_fill_model_info_reaches_model_targets_and_datasets(tmp_path):
    label = tmp_path / 'labels.csv'
    label.write_text('scorer,me,me,me,me\nbodyparts,a,a,b,b\ncoords,x,y,x,y\nimg.png,1,2,3,4\n')
    dataset = dict(type='LabeledFramesDataset', data_root=str(tmp_path), ann_file='labels.csv',
                   pipeline=[dict(type='Resize', input_size=(64, 64)),
                             dict(type='GenerateTarget')])
    cfg = Config(dict(
        input_size=(64, 64), codec=dict(type='HeatmapCodec', stride=4),
        metainfo=dict(skeleton=[('a', 'b')]),
        model=dict(type='PoseTracker', head=dict(type='ContextHeatmapHead')),
        train_dataloader=dict(dataset=dataset), test_dataloader=dict(dataset=dataset)))
    metainfo = fill_model_info(cfg)
    assert metainfo['keypoint_names'] == ['a', 'b'] and metainfo['skeleton'] == [('a', 'b')]
    assert cfg.model.codec == dict(type='HeatmapCodec', stride=4, input_size=(64, 64))
    assert cfg.model.metainfo == metainfo
    for loader in ('train_dataloader', 'test_dataloader'):
        filled = cfg[loader].dataset
        assert filled.pipeline[1].codec == cfg.model.codec
        assert filled.metainfo == metainfo and filled.context == 2  # the context head's
    cfg.model.head.num_keypoints = 3
    with pytest.raises(ValueError, match=r"num_keypoints=3 but the train_dataloader labels "
                                         r"have 2 keypoints \(\['a', 'b'\]\)"):
        fill_model_info(cfg)
