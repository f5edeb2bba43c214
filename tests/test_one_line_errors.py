"""Operational trouble is one line on stderr, never a traceback: a damaged database, a
lock file that cannot be made, a log file that cannot be written or has no folder."""

from __future__ import annotations

from click.testing import CliRunner

from oermonitor.cli import main
from tests.test_job import PAGE, pages, setup, start_run, write_config


def cli(config, *args):
    return CliRunner().invoke(main, ["--config", str(config), *args])


def one_line(result, *words: str) -> None:
    assert "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0]


def test_a_file_that_is_not_a_database(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "oermonitor.db").write_bytes(b"Dit is geen database.\n" * 400)
    for command in (("status",), ("run",), ("show", "1")):
        result = cli(config, *command)
        assert result.exit_code in (1, 3), (command, result.output)
        one_line(result, "oermonitor.db", "not a database")


def test_a_database_with_damaged_pages(server, tmp_path):
    config, settings, store = setup(tmp_path, pages(server, 40))
    store.close()
    assert cli(config, "run").exit_code == 0
    data = bytearray(settings.database.read_bytes())
    assert len(data) > 5 * 4096
    data[4096:len(data) - 4096] = b"\xa5" * (len(data) - 8192)  # keep the header page
    settings.database.write_bytes(bytes(data))
    for command in (("status",), ("run",), ("show", "1")):
        result = cli(config, *command)
        assert result.exit_code in (1, 3), (command, result.output)
        one_line(result, "oermonitor.db")


def test_a_lock_file_that_cannot_be_created(server, tmp_path):
    config, settings, store = setup(tmp_path, [server.route("/a", PAGE.format(title="A"))])
    store.close()
    (tmp_path / "oermonitor.db.lock").mkdir()  # something else is in its place
    result = cli(config, "run")
    assert result.exit_code == 1
    one_line(result, "oermonitor.db.lock", "cannot create the lock file")


def test_a_log_file_in_a_missing_folder(server, tmp_path):
    config, _, store = setup(tmp_path, [server.route("/a", PAGE.format(title="A"))])
    store.close()
    result = cli(config, "run", "--log-file", str(tmp_path / "nergens" / "run.log"))
    assert result.exit_code == 1
    one_line(result, "nergens", "does not exist")


def test_a_log_file_on_a_full_disk(server, tmp_path):
    config, _, store = setup(tmp_path, [server.route("/a", PAGE.format(title="A"))])
    store.close()
    result = cli(config, "-v", "run", "--log-file", "/dev/full")
    assert result.exit_code == 0  # the checks matter more than the log
    one_line(result, "/dev/full", "No space left on device")


def test_an_empty_page_says_nothing_under_cron(server, tmp_path):
    config, _, store = setup(tmp_path, [server.route("/leeg", "")])
    store.close()
    proc = start_run(config)  # a real process: what cron would mail is its stderr
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out == "" and err == ""
