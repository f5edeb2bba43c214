"""Writing a file whole or not at all, safely in a folder others may write to.

    write_atomic(path, data)

The data goes to a new temporary file beside `path`, created exclusively
(``O_CREAT | O_EXCL``, so a symlink or file planted at the name is never
followed or reused) under an unpredictable name, then is renamed over `path`
(a rename replaces a symlink at `path` itself, never its target). A reader sees
the old file or the new one, never half. The file gets the permissions any
other new file gets under the process's umask.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)  # elsewhere: read it by setting it, and set it back
    os.umask(current)
    return current


def default_mode() -> int:
    """The permissions of a new regular file: 0o666 less the umask."""
    return 0o666 & ~umask()


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (see the module doc); raises OSError."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), default_mode())  # mkstemp makes it private (0600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path
