"""Things every command shares: help text, exit codes for bad arguments."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.store import Store


def test_every_command_has_help_text():
    runner = CliRunner()
    commands = dict(main.commands)
    for name, command in commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.get_short_help_str().strip(), f"{name} has no help text"
        for sub in getattr(command, "commands", {}):
            assert runner.invoke(main, [name, sub, "--help"]).exit_code == 0


@pytest.mark.parametrize("args", [
    ["status", "--today", "31-11-2026"],
    ["run", "--today", "tomorrow"],
    ["notify", "--today", "2026-13-01", "--dry-run"],
    ["report", "--html", "x.html", "--today", "x"],
])
def test_a_bad_date_is_bad_input_exit_1(tmp_path, args):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), *args])
    assert result.exit_code == 1, result.output
    assert "--today: expected a date as YYYY-MM-DD" in result.output


@pytest.mark.parametrize("typed", ["2026-11-30", "30-11-2026", "30/11/2026"])
def test_dates_as_people_type_them(tmp_path, typed):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), "status", "--today",
                                       typed])
    assert result.exit_code == 0, result.output


def test_unknown_command_is_a_usage_error_exit_2():
    assert CliRunner().invoke(main, ["frobnicate"]).exit_code == 2


def test_python_dash_m_works(tmp_path):
    done = subprocess.run([sys.executable, "-m", "oermonitor", "--version"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("oermonitor, version")


@pytest.mark.parametrize("args, message", [
    (["--db", "{dir}", "status"], "is a folder, not a database file"),
    (["--config", "{dir}", "status"], "cannot read settings file"),
    (["--db", "{db}", "import", "{dir}"], "is a folder, not a CSV file"),
    (["--db", "{db}", "report", "--html", "{dir}"], "is a folder"),
])
def test_a_folder_where_a_file_belongs_is_bad_input(tmp_path, args, message):
    folder = tmp_path / "folder"
    folder.mkdir()
    args = [a.format(dir=folder, db=tmp_path / "o.db") for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_status_for_an_unknown_pilot_names_the_known_ones(tmp_path):
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("url,maintainer_email,pilot\nhttps://x.nl/a,a@b.nl,Rekenen\n")
    runner = CliRunner()
    db = ["--db", str(tmp_path / "o.db")]
    assert runner.invoke(main, [*db, "import", str(csv_file)]).exit_code == 0
    result = runner.invoke(main, [*db, "status", "--pilot", "Reken"])
    assert result.exit_code == 1
    assert "no pilot named 'Reken' (pilots: Rekenen)" in result.output
    assert runner.invoke(main, [*db, "status", "--pilot", "Rekenen"]).exit_code == 0


def modules_loaded_by(tmp_path, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after one command on an empty database."""
    database = tmp_path / "o.db"
    Store.open(database).close()  # created and migrated here, as by an earlier import
    script = (
        "import sys\n"
        "from oermonitor.cli import main\n"
        "try:\n"
        f"    main(['--db', {str(database)!r}, *{list(args)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def test_the_nightly_run_loads_only_what_it_needs(tmp_path):
    """`run` under cron starts fast: no templates, no web layer, no demo, no spreadsheet
    reader, no requests (the fetcher talks to urllib3's pools)."""
    loaded = modules_loaded_by(tmp_path, "run", "--dry-run")
    assert {"oermonitor.job", "oermonitor.notify", "urllib3"} <= loaded  # it did run
    assert not loaded & {"jinja2", "flask", "oermonitor.web", "oermonitor.demo",
                         "oermonitor.registry", "oermonitor.cli.overview", "oermonitor.links",
                         "requests"}


def test_the_overview_loads_no_page_reading_even_with_a_date(tmp_path):
    loaded = modules_loaded_by(tmp_path, "status", "--json", "--today", "31-12-2026")
    assert {"oermonitor.report", "oermonitor.policy"} <= loaded  # it did run
    assert not loaded & {"lxml", "oermonitor.extract", "oermonitor.registry",
                         "oermonitor.history", "oermonitor.fetch", "jinja2", "flask"}
