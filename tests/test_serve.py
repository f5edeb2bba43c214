"""`oermonitor serve`: one clear line when it cannot start; a real waitress process when it can."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.store import Store
from tests.support import free_port

SECRET = "a-long-enough-secret-for-serve"


def config(tmp_path, extra: str = "") -> str:
    path = tmp_path / "o.toml"
    path.write_text(f'database = "o.db"\n[web]\nsecret_env = "TEST_SERVE_SECRET"\n{extra}',
                    encoding="utf-8")
    return str(path)


def test_without_the_secret_in_the_environment_serve_says_so_in_one_line(tmp_path,
                                                                         monkeypatch):
    monkeypatch.delenv("TEST_SERVE_SECRET", raising=False)
    result = CliRunner().invoke(main, ["--config", config(tmp_path), "serve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: environment variable TEST_SERVE_SECRET ([web] secret_env) is not set; make a "
        "secret with: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""]


def test_a_short_secret_or_a_missing_database_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SERVE_SECRET", "short")
    result = CliRunner().invoke(main, ["--config", config(tmp_path), "serve"])
    assert result.exit_code == 1 and "too short" in result.output
    monkeypatch.setenv("TEST_SERVE_SECRET", SECRET)
    result = CliRunner().invoke(main, ["--config", config(tmp_path), "serve"])
    assert result.exit_code == 1 and "no database yet" in result.output
    assert not (tmp_path / "o.db").exists()


@pytest.mark.parametrize("base_url", ["example.org", "ftp://example.org", "https://"])
def test_a_bad_base_url_names_the_setting(tmp_path, base_url):
    result = CliRunner().invoke(main, ["--config", config(tmp_path, f'base_url = "{base_url}"'),
                                       "serve"])
    assert result.exit_code == 1 and "[web] base_url" in result.output


def test_serve_answers_on_its_port_under_the_base_urls_path(tmp_path):
    Store.open(tmp_path / "o.db").close()
    port = free_port()
    env = dict(os.environ, TEST_SERVE_SECRET=SECRET)
    process = subprocess.Popen(
        [sys.executable, "-m", "oermonitor", "--config",
         config(tmp_path, 'base_url = "https://www.school.nl/oermonitor/"'), "serve",
         "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        response = None
        for _ in range(200):
            try:
                response = requests.get(f"http://127.0.0.1:{port}/oermonitor/m/nonsense",
                                        timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert response is not None, process.stderr.read()
        assert response.status_code == 404 and "Deze link klopt niet" in response.text
        assert "/oermonitor/static/style.css" in response.text
        style = requests.get(f"http://127.0.0.1:{port}/oermonitor/static/style.css", timeout=5)
        assert "overflow-wrap: anywhere" in style.text
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert f"Serving on http://127.0.0.1:{port}" in err
