"""List which of pyproject.toml's dependencies have a wheel for another platform and Python.

``python tools/check_platform_wheels.py [--platform TAG ...] [--python-version X.Y ...]``

For every dependency (``[project] dependencies`` and the optional ones) and every
platform / Python pair, the dependency's environment marker is evaluated for that platform
(pip would evaluate it for the running machine), and where it applies
``pip download --no-deps --only-binary=:all: --platform TAG --python-version X.Y REQ`` is
run into a temporary folder, with pip's configuration files ignored (``PIP_CONFIG_FILE`` set
to the null device), so that a machine's constraints or extra indexes do not shape the
answer. One line per dependency tells the wheel pip picked, that the marker leaves the
dependency out there, or that no wheel exists (pip's reason). Exit status 1 when a
dependency that applies has no wheel. Needs the package index (network).

The default, ``macosx_14_0_arm64`` with Python 3.11, is an Apple silicon Mac: torch 2.14.1's
macOS wheels need macOS 14 (``--platform macosx_11_0_arm64`` finds none for torch and
torchvision).
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import tomllib

from packaging.requirements import Requirement

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def marker_environment(tag: str, python_version: str) -> dict[str, str]:
    """The PEP 508 marker variables of a machine with wheel platform ``tag``.

    Args:
        tag: A wheel platform tag: ``macosx_*_<arch>``, ``win_amd64``, ``win_arm64``,
            ``manylinux*_<arch>``, ``musllinux_*_<arch>`` or ``linux_<arch>``.
        python_version: ``'X.Y'``.

    Returns:
        ``sys_platform``, ``platform_system``, ``platform_machine``, ``os_name``,
        ``python_version``, ``python_full_version``, ``implementation_name`` and
        ``platform_python_implementation``.

    Raises:
        ValueError: An unknown tag.
    """
    if tag.startswith('macosx_'):
        system, sys_platform, machine, os_name = 'Darwin', 'darwin', tag.split('_', 3)[3], 'posix'
    elif tag.startswith('win_'):
        system, sys_platform, os_name = 'Windows', 'win32', 'nt'
        machine = tag[len('win_'):].upper()  # Windows reports AMD64 / ARM64
    elif re.match(r'(many|musl)?linux', tag):
        system, sys_platform, os_name = 'Linux', 'linux', 'posix'
        machine = re.sub(r'^(manylinux\d*|musllinux|linux)(_\d+_\d+)?_', '', tag)
    else:
        raise ValueError(f'unknown platform tag {tag!r}; expected macosx_*, win_*, '
                         'manylinux*, musllinux_* or linux_*')
    return dict(sys_platform=sys_platform, platform_system=system, platform_machine=machine,
                os_name=os_name, python_version=python_version,
                python_full_version=f'{python_version}.0', implementation_name='cpython',
                platform_python_implementation='CPython')


def pip_platforms(tag: str) -> list[str]:
    """The tags to pass to pip for ``tag``: a ``manylinux_2_N`` tag with every older glibc
    and the legacy aliases (pip expands macOS versions itself, not these)."""
    match = re.fullmatch(r'manylinux_2_(\d+)_(\w+)', tag)
    if not match:
        return [tag]
    glibc, arch = int(match[1]), match[2]
    legacy = {17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1'}
    tags = []
    for minor in range(glibc, 4, -1):
        tags.append(f'manylinux_2_{minor}_{arch}')
        if minor in legacy:
            tags.append(f'{legacy[minor]}_{arch}')
    return tags


def dependencies(pyproject: str) -> list[Requirement]:
    """The dependencies and optional dependencies of a ``pyproject.toml``, less the
    project's own extras that one extra pulls in (``posekit[eks,nwb,h5]``: listed already)."""
    with open(pyproject, 'rb') as f:
        project = tomllib.load(f)['project']
    lines = list(project.get('dependencies', []))
    for extra in project.get('optional-dependencies', {}).values():
        lines.extend(extra)
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.name != project['name']]


def find_wheel(requirement: Requirement, tag: str, python_version: str) -> tuple[bool, str]:
    """Ask pip for ``requirement``'s wheel on ``tag`` / ``python_version``.

    Returns:
        ``(True, wheel file name)``, or ``(False, pip's last error line)``.
    """
    spec = f'{requirement.name}{requirement.specifier}'
    platforms = [arg for t in pip_platforms(tag) for arg in ('--platform', t)]
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:',
             *platforms, '--python-version', python_version, '--dest', folder,
             '--quiet', '--disable-pip-version-check', spec],
            capture_output=True, text=True, env={**os.environ, 'PIP_CONFIG_FILE': os.devnull})
        wheels = [name for name in sorted(os.listdir(folder))
                  if name.endswith('.whl')]
    if result.returncode == 0 and wheels:
        return True, wheels[0]
    errors = [line for line in result.stderr.splitlines() if line.startswith('ERROR')]
    return False, errors[-1] if errors else result.stderr.strip()[-200:]


def check(requirements: list[Requirement], tag: str, python_version: str) -> list[str]:
    """One report line per requirement; the ones lacking a wheel start with ``MISSING``."""
    environment = marker_environment(tag, python_version)
    lines = []
    for requirement in requirements:
        spec = f'{requirement.name}{requirement.specifier}'
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            lines.append(f'skipped  {spec:<40} marker: {requirement.marker}')
            continue
        found, detail = find_wheel(requirement, tag, python_version)
        lines.append(f'{"wheel" if found else "MISSING":<8} {spec:<40} {detail}')
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--platform', action='append', dest='platforms', metavar='TAG',
                        help='wheel platform tag (repeatable; default macosx_14_0_arm64)')
    parser.add_argument('--python-version', action='append', dest='pythons', metavar='X.Y',
                        help='Python version (repeatable; default 3.11)')
    parser.add_argument('--pyproject', default=osp.join(ROOT, 'pyproject.toml'))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    requirements = dependencies(args.pyproject)
    missing = 0
    for tag in args.platforms or ['macosx_14_0_arm64']:
        for python_version in args.pythons or ['3.11']:
            print(f'== {tag}, Python {python_version}')
            lines = check(requirements, tag, python_version)
            print('\n'.join(lines))
            missing += sum(line.startswith('MISSING') for line in lines)
    if missing:
        print(f'{missing} dependenc{"y has" if missing == 1 else "ies have"} no wheel')
        sys.exit(1)


if __name__ == '__main__':
    main()
