"""One `oermonitor run` at a time: an OS-level lock next to the database.

`fcntl.flock` on ``<database>.lock``, non-blocking. The kernel drops the lock
when the process ends however it ends (kill -9 included), so a crashed run
never leaves a stale lock behind; the file itself stays and is harmless. The
lock is taken before the database is opened, so a refused run touches nothing.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from oermonitor.errors import BadInput, RunLocked


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class RunLock:
    """Exclusive lock for the database at `database`; use as a context manager."""

    def __init__(self, database: str | os.PathLike):
        self.path = lock_path(Path(database))
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        if not self.path.parent.is_dir():
            raise BadInput(f"{self.path.parent}: folder of the database does not exist")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BadInput(f"{self.path}: cannot create the lock file next to the database "
                           f"({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise RunLocked(f"another oermonitor run is active on this database{by}; "
                            f"lock: {self.path}") from None
        # Who holds it, for the message above; informative only, the flock is the lock.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
