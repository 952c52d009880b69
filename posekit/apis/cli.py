"""Command-line plumbing shared by tools/: one clear line for a user's mistake."""
import os
import sys
from collections.abc import Callable

from posekit.datasets.io import LabelFileError
from posekit.models.trackers import CheckpointMismatchError

#: Errors caused by a user's input; shown as one line (set POSEKIT_DEBUG=1 for a traceback).
USER_ERRORS = (LabelFileError, CheckpointMismatchError, FileNotFoundError, KeyError,
               ValueError)


def run_cli(main: Callable[[], object]) -> None:
    """Run ``main``; report a user error as ``error: <message>`` and exit with status 1."""
    try:
        main()
    except USER_ERRORS as err:
        if os.environ.get('POSEKIT_DEBUG'):
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f'error: {message}', file=sys.stderr)
        sys.exit(1)
