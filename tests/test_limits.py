"""Absurd settings and values are refused where they come in, and never break a command."""

from __future__ import annotations

import pytest

from oermonitor import job
from oermonitor.errors import BadInput
from oermonitor.settings import load_settings
from oermonitor.store import Store, utcnow
from tests.test_job import TODAY, setup
from tests.test_status_cli import recent_material, run, status_json


@pytest.mark.parametrize("line", [
    "[fetch]\ntimeout = nan", "[fetch]\ntimeout = inf", "[fetch]\ntotal_timeout = -inf",
    "[fetch]\nconcurrency = 1e9", "[fetch]\nconcurrency = 1000000000",
    "[fetch]\nmax_bytes = 100000000000", "[fetch]\nper_host_delay = 1e300",
    "[policy]\nstale_after_days = 99999999999", "[policy]\ngrace_days = nan",
    "[policy]\nrecheck_after_hours = inf", "[notify]\nremind_every_days = 1e12",
    "[smtp]\nport = 70000", "[run]\nmax_duration = inf", "[run]\nhistory_days = 1e10",
])
def test_out_of_range_settings_are_refused_at_load_naming_file_and_key(tmp_path, line):
    path = tmp_path / "o.toml"
    path.write_text(line + "\n", encoding="utf-8")
    section, key = line[1:].split("]\n")[0], line.split("\n")[1].split(" =")[0]
    with pytest.raises(BadInput) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: [{section}] {key}: expected a ")
    assert "\n" not in message


def test_sane_settings_at_the_edges_still_load(tmp_path):
    path = tmp_path / "o.toml"
    path.write_text("[fetch]\nconcurrency = 256\ntimeout = 3600\n[policy]\n"
                    "stale_after_days = 36500\n[smtp]\nport = 587\n", encoding="utf-8")
    settings = load_settings(path)
    assert settings.fetch.concurrency == 256 and settings.policy.stale_after_days == 36500


def test_review_every_refuses_an_absurd_interval_and_status_keeps_working(tmp_path):
    path, mid = recent_material(tmp_path)
    result = run(path, "review-every", str(mid), "99999999999")
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert status_json(path)[0]["state"] == "stale"
    # A database written before this check still works for everyone.
    with Store.open(path) as store:
        store.update_material(mid, {"review_interval_days": 99999999999})
    (record,) = status_json(path)
    assert record["state"] == "ok"
    assert run(path, "status").exit_code == 0
    assert run(path, "show", str(mid)).exit_code == 0
    assert run(path, "report", "--html", str(tmp_path / "r.html")).exit_code == 0


def test_huge_page_strings_are_capped_before_they_are_stored(server, tmp_path):
    title = "Breuken " + "x" * 5_000_000
    url = server.route("/big", f"<html><head><title>{title}</title></head><body><p>Les</p>"
                               "</body></html>",
                       headers={"ETag": '"' + "e" * 5000 + '"'})
    loop = server.route("/loop", status=301, headers={"Location": "/loop?" + "a" * 6000})
    server.route("/loop?" + "a" * 6000, status=301, headers={"Location": "/loop"})
    _, settings, store = setup(tmp_path, [url, loop], "[run]\nmax_duration = 0")
    with store:
        job.run(store, settings, today=TODAY, now=utcnow())
        rows = {m["url"]: m for m in store.materials_view()}
        big = store.checks(rows[url]["id"])[0]
        assert big["title"].startswith("Breuken xxx") and len(big["title"]) <= 500
        assert rows[url]["page_title"] == big["title"] and rows[url]["etag"] is None
        for check in store.checks(rows[loop]["id"]):
            assert len(check["error"] or "") <= 500 and len(check["final_url"] or "") <= 2000


def test_import_lists_at_most_fifty_bad_rows_then_a_count_and_leaves_no_database(tmp_path):
    from click.testing import CliRunner

    from oermonitor.cli import main

    sheet = tmp_path / "m.csv"
    long_url = "https://example.org/" + "a" * 2100
    sheet.write_text("url,maintainer_email,pilot\n" + f"{long_url},a@school.nl,P\n"
                     + "".join(f"geen-url-{i},a@school.nl,P\n" for i in range(500)),
                     encoding="utf-8")
    db = tmp_path / "nieuw.db"
    for extra in ((), ("--dry-run",)):
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(sheet), *extra])
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 52 and all(line.startswith("error: ") for line in lines)
        assert "m.csv:2: url is longer than 2,000 characters" in lines[0]
        assert len(lines[0]) < 300
        assert lines[-2].endswith("... and 451 more")
        assert lines[-1].endswith("501 invalid row(s); nothing imported")
        assert not db.exists() and not list(tmp_path.glob("nieuw.db*"))
    sheet.write_text("url,maintainer_email,pilot\nhttps://example.org/a,a@school.nl,P\n",
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(db), "import", "--dry-run", str(sheet)])
    assert result.exit_code == 0 and "would have added 1" in result.output
    assert not db.exists()


@pytest.mark.parametrize("args", [
    ("inspect", "--timeout", "nan", "http://127.0.0.1/"),
    ("inspect", "--timeout", "inf", "http://127.0.0.1/"),
    ("run", "--max-duration", "nan"), ("run", "--max-duration", "inf"),
])
def test_absurd_numbers_on_the_command_line_are_refused(tmp_path, args):
    from click.testing import CliRunner

    from oermonitor.cli import main

    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), *args])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {args[1]}: expected")


def test_the_html_report_follows_the_umask_like_every_other_file(tmp_path):
    import os

    path, _ = recent_material(tmp_path)
    old = os.umask(0o027)
    try:
        assert run(path, "report", "--html", str(tmp_path / "r.html")).exit_code == 0
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "r.html").st_mode & 0o777 == 0o640
