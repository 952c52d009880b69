"""A progress bar over frames with the current frame rate."""
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)


@contextmanager
def frame_progress(total: int, description: str, enabled: bool = True
                   ) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over frames with the current frame rate, on stderr.

    Args:
        total: Number of frames.
        description: Text in front of the bar.
        enabled: Show nothing when False.

    Yields:
        ``advance(n)``, to call after each ``n`` processed frames.
    """
    if not enabled:
        yield lambda n: None
        return
    columns = (TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(),
               TextColumn('{task.fields[fps]:>7.1f} fps'), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total, fps=0.)
        start, done = time.perf_counter(), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, advance=n, fps=done / max(time.perf_counter() - start, 1e-9))

        yield advance
