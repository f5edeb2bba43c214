import os

import pytest

from tests.support import LoopbackServer, SmtpSink


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 with per-path routes (see tests/support.py)."""
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 that keeps what it accepts (see tests/support.py)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def store(tmp_path):
    """A fresh SQLite store in tmp_path (add materials with tests.support.add_material)."""
    from oermonitor.store import Store

    with Store.open(tmp_path / "oermonitor.db") as s:
        yield s


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's settings or environment by accident."""
    for name in ("OERMONITOR_CONFIG", "OERMONITOR_ALLOW_PRIVATE_NETWORKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # Loopback test servers are private addresses: tests that need them opt in
    # through settings (allow_private_networks) rather than a global switch.
    assert "OERMONITOR_CONFIG" not in os.environ
