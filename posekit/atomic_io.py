"""Atomic result files: written under a temporary name in the final folder, then renamed.

A reader (or a resumed run) sees either the previous file or the complete new one, never
half a file, even when the writer is killed (``kill -9``) or the machine loses power:
the temporary file is flushed to disk (``fsync``) before the rename, and the folder after it.

```python
with atomic_output('out/video.mp4') as tmp:   # tmp: out/.video.mp4.<random>.part.mp4
    write_video(tmp)                          # any writer that takes a path
```
"""
import glob
import os
import os.path as osp
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

#: Marks temporary files (``.<name>.<random>.part<ext>``), so stale ones can be found.
PART_MARK = '.part'


def default_file_mode() -> int:
    """The mode ``open(path, 'w')`` would give a new file: ``0o666`` minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_path(path: str) -> None:
    """Flush a file's or folder's contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(path: str) -> str:
    """Create an empty temporary file beside ``path`` with its extension and return its name.

    The extension is kept so writers that pick a format from the name (OpenCV, matplotlib)
    write the right one.
    """
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    ext = osp.splitext(name)[1]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{name}.', suffix=PART_MARK + ext)
    os.close(fd)
    return tmp


def commit_temp(tmp: str, path: str) -> None:
    """Give ``tmp`` the default file mode, flush it, rename it to ``path``, flush the folder."""
    os.chmod(tmp, default_file_mode())
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(osp.dirname(osp.abspath(path)))


@contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    When the block raises, the temporary file is removed and ``path`` is left untouched.

    Args:
        path: The final file name (its folder is created).

    Yields:
        The temporary file name to write to (same folder and extension).
    """
    tmp = temp_path_for(path)
    try:
        yield tmp
        commit_temp(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically, UTF-8, line endings exactly as given."""
    with atomic_output(path) as tmp, open(tmp, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def stale_temp_files(folder: str) -> list[str]:
    """Temporary files left in ``folder`` by writers that were killed."""
    return sorted(glob.glob(osp.join(folder, f'.*{PART_MARK}*')))
