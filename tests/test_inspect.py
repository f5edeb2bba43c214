"""`oermonitor inspect`: JSON per contract, readable view, exit codes, no database."""

import json
import time

import pytest
from click.testing import CliRunner

from oermonitor.cli import main

KEYS = ["url", "final_url", "status_code", "availability", "licence", "licence_scope",
        "last_modified", "title", "platform", "platform_id", "content_hash", "error"]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "oermonitor.toml"
    path.write_text('database = "monitor.db"\n[fetch]\nallow_private_networks = true\n'
                    "per_host_delay = 0\nbackoff_base = 0.01\ntimeout = 2\n")
    return path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_lines_in_the_order_given(server, config, tmp_path):
    ok = server.route("/les", "<html><head><title>Breuken</title></head><body><p>"
                      + "Tekst. " * 50 + "</p></body></html>")
    gone = server.route("/weg", status=404)
    server.route("/oud", status=301, headers={"Location": "/les"})
    done = run("--config", str(config), "inspect", "--json", gone, ok, server.url("/oud"),
               "ftp://bestanden.example/x")
    assert done.exit_code == 0, done.output
    records = [json.loads(line) for line in done.output.splitlines()]
    assert [list(record) for record in records] == [KEYS] * 4
    assert [r["availability"] for r in records] == ["missing", "ok", "moved", "invalid_url"]
    assert [r["url"] for r in records] == [gone, ok, server.url("/oud"),
                                           "ftp://bestanden.example/x"]
    assert records[0]["status_code"] == 404 and records[0]["error"] == "HTTP 404"
    assert records[1]["error"] is None and records[1]["final_url"] == ok
    assert records[2]["final_url"] == ok and records[2]["status_code"] == 200
    assert records[3]["status_code"] is None and records[3]["final_url"] is None
    assert not (tmp_path / "monitor.db").exists()


def test_readable_view(server, config):
    url = server.route("/weg", status=410)
    done = run("--config", str(config), "inspect", url)
    assert done.exit_code == 0
    assert done.output.splitlines()[:4] == [
        url, "  availability  missing", f"  final URL     {url}", "  HTTP status   410"]
    assert "  detail        HTTP 410" in done.output


def test_private_address_refused_by_default(server, tmp_path):
    url = server.route("/", "hallo")
    done = run("--db", str(tmp_path / "x.db"), "inspect", "--json", url)
    assert done.exit_code == 0
    assert json.loads(done.output)["availability"] == "blocked_private_address"
    assert server.requests == []
    assert not (tmp_path / "x.db").exists()


def test_timeout_option(server, config):
    url = server.route("/traag", handler=lambda req: time.sleep(1.0))
    done = run("--config", str(config), "inspect", "--json", "--timeout", "0.2", url)
    assert json.loads(done.output)["availability"] == "timeout"


@pytest.mark.parametrize("value", ["0", "-3"])
def test_bad_timeout_is_exit_1(config, value):
    done = CliRunner().invoke(main, ["--config", str(config), "inspect", "--timeout", value,
                                     "http://example.org/"])
    assert done.exit_code == 1
    assert "--timeout" in done.output and "Traceback" not in done.output


def test_bad_config_is_exit_1(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[fetch]\ntimeout = 'lang'\n")
    done = CliRunner().invoke(main, ["--config", str(path), "inspect", "http://example.org/"])
    assert done.exit_code == 1
    assert "[fetch] timeout" in done.output


def test_no_urls_is_a_usage_error():
    assert CliRunner().invoke(main, ["inspect"]).exit_code == 2
