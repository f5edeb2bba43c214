"""One run at a time: the OS-level lock next to the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.errors import BadInput, RunLocked
from oermonitor.lock import RunLock, lock_path

HOLD = """
import sys, time
from oermonitor.lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_second_lock_is_refused_until_released(tmp_path):
    db = tmp_path / "oermonitor.db"
    with RunLock(db), pytest.raises(RunLocked, match="another oermonitor run is active"):
        RunLock(db).acquire()
    with RunLock(db):  # released: free again
        pass
    assert lock_path(db) == tmp_path / "oermonitor.db.lock"


def test_lock_in_missing_folder_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        RunLock(tmp_path / "nope" / "x.db").acquire()


def test_run_while_locked_exits_at_once_and_touches_nothing(tmp_path):
    db = tmp_path / "oermonitor.db"
    with RunLock(db):
        started = time.monotonic()
        result = CliRunner().invoke(main, ["--db", str(db), "run"])
        elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert "another oermonitor run is active" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert elapsed < 5
    assert not db.exists()  # not even created
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oermonitor.db.lock"]


def test_compact_while_locked_is_refused(tmp_path):
    db = tmp_path / "oermonitor.db"
    with RunLock(db):
        result = CliRunner().invoke(main, ["--db", str(db), "compact"])
    assert result.exit_code == 3
    assert not db.exists()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    db = tmp_path / "oermonitor.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked, match=f"pid {holder.pid}"):
            RunLock(db).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        holder.stdout.close()
    with RunLock(db):  # the kernel released it with the process
        pass
