"""Every posekit package imports on its own in a fresh interpreter (no import cycles)."""
import subprocess
import sys

import pytest

PACKAGES = ['posekit.apis', 'posekit.codecs', 'posekit.datasets', 'posekit.engine',
            'posekit.evaluation', 'posekit.geometry3d', 'posekit.inference',
            'posekit.inference.eks', 'posekit.inference.formats', 'posekit.models',
            'posekit.visualization']


@pytest.mark.parametrize('package', PACKAGES)
def test_package_imports_first(package):
    result = subprocess.run([sys.executable, '-c', f'import {package}'], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-1500:]
