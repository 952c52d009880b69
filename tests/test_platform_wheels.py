"""tools/check_platform_wheels.py: markers per platform (offline) and the macOS wheels (PyPI)."""
import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location('check_platform_wheels',
                                              ROOT / 'tools' / 'check_platform_wheels.py')
wheels = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(wheels)


def requirement(name):
    return next(r for r in wheels.dependencies(str(ROOT / 'pyproject.toml')) if r.name == name)


@pytest.mark.parametrize('tag, sys_platform, machine', [
    ('macosx_14_0_arm64', 'darwin', 'arm64'), ('macosx_10_9_x86_64', 'darwin', 'x86_64'),
    ('win_amd64', 'win32', 'AMD64'), ('manylinux_2_28_x86_64', 'linux', 'x86_64'),
    ('manylinux2014_aarch64', 'linux', 'aarch64'), ('linux_x86_64', 'linux', 'x86_64')])
def test_marker_environment(tag, sys_platform, machine):
    environment = wheels.marker_environment(tag, '3.12')
    assert (environment['sys_platform'], environment['platform_machine']) == \
        (sys_platform, machine)
    assert environment['python_version'] == '3.12'


def test_decord_only_where_it_has_wheels_and_av_everywhere():
    decord, av = requirement('decord'), requirement('av')
    where = {tag: decord.marker.evaluate(wheels.marker_environment(tag, '3.11'))
             for tag in ('manylinux_2_28_x86_64', 'win_amd64', 'macosx_14_0_arm64',
                         'macosx_10_9_x86_64', 'manylinux2014_aarch64', 'win_arm64')}
    assert where == {'manylinux_2_28_x86_64': True, 'win_amd64': True,
                     'macosx_14_0_arm64': False, 'macosx_10_9_x86_64': False,
                     'manylinux2014_aarch64': False, 'win_arm64': False}
    assert av.marker is None and str(av.specifier) == '==18.1.0'


def test_manylinux_tags_include_older_glibc_and_legacy_names():
    tags = wheels.pip_platforms('manylinux_2_28_x86_64')
    assert tags[0] == 'manylinux_2_28_x86_64' and tags[-1] == 'manylinux1_x86_64'
    assert {'manylinux2014_x86_64', 'manylinux2010_x86_64', 'manylinux_2_17_x86_64'} < set(tags)
    assert len(tags) == 24 + 3
    assert wheels.pip_platforms('win_amd64') == ['win_amd64']
    with pytest.raises(ValueError, match="unknown platform tag 'freebsd_13_amd64'"):
        wheels.marker_environment('freebsd_13_amd64', '3.11')


def pypi_reachable():
    try:
        socket.create_connection(('pypi.org', 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not pypi_reachable(), reason='PyPI (pypi.org:443) is not reachable')
def test_every_dependency_has_a_wheel_for_apple_silicon():
    result = subprocess.run([sys.executable, 'tools/check_platform_wheels.py'], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == '== macosx_14_0_arm64, Python 3.11'
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert len(rows) == len(wheels.dependencies(str(ROOT / 'pyproject.toml')))
    assert rows['decord==0.6.0'][0] == 'skipped'
    assert rows['torch==2.14.1'][2] == 'torch-2.14.1-cp311-cp311-macosx_14_0_arm64.whl'
    assert rows['av==18.1.0'][2] == 'av-18.1.0-cp311-abi3-macosx_14_0_arm64.whl'
    for name, row in rows.items():
        if name != 'decord==0.6.0':
            assert row[0] == 'wheel' and ('macosx' in row[2] or 'none-any' in row[2]), row
