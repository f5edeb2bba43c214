"""Text from pages, redirects, spreadsheets and catalogues never drives the terminal.

A hostile page puts escape sequences (clear screen, OSC 8 links), C1 controls and
bidi overrides in its title and redirect target; a spreadsheet puts them in a
pilot name; a catalogue in a record id. What is printed for a person shows them
escaped; JSON keeps the data; emails carry none of them.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy

from click.testing import CliRunner

from oermonitor.cli import main
from tests.test_edurep import DATA, catalogue
from tests.test_job import write_config

EVIL = "Breuken\x1b[2J\x1b]8;;http://evil.example/\x07klik\x1b]8;;\x07\x9b31m\u202egpj.exe"
PAGE = (f"<html><head><title>{EVIL}</title></head><body><main><h1>{EVIL}</h1>"
        "<p>Lesmateriaal.</p></main></body></html>")
UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e")


def cli(config, *args):
    return CliRunner().invoke(main, ["--config", str(config), *args])


def assert_clean(text: str) -> None:
    assert not [c for c in UNSAFE if c in text], repr(text)


def hostile_site(server) -> str:
    server.route("/page", PAGE)
    server.route("/go", status=302, headers={"Location": "/page?\x1b[2J\x9bx"})
    return server.url("/go")


def test_inspect_escapes_page_text_and_json_keeps_it(server, tmp_path):
    url = hostile_site(server)
    config = write_config(tmp_path)
    shown = cli(config, "inspect", url)
    assert shown.exit_code == 0, shown.output
    assert_clean(shown.output)
    assert "Breuken\\x1b[2J" in shown.output and "\\u202egpj.exe" in shown.output
    raw = cli(config, "inspect", "--json", url)
    assert_clean(raw.output)  # escaped as JSON escapes, the data unchanged
    record = json.loads(raw.output)
    assert record["title"] == EVIL and "\x1b[2J" in record["final_url"]


def test_run_show_status_and_emails_are_clean(server, tmp_path):
    url = hostile_site(server)
    config = write_config(tmp_path)
    sheet = tmp_path / "m.csv"
    sheet.write_text("url,maintainer_email,pilot,pilot_end_date,maintainer_name\n"
                     f"{server.url('/nowhere')},a@school.nl,Rekenen\x1b[31m\u202e,2020-01-01,"
                     "Anne\x9b2J\n"
                     f"{url},a@school.nl,Rekenen\x1b[31m\u202e,2020-01-01,Anne\x9b2J\n",
                     encoding="utf-8")
    imported = cli(config, "import", str(sheet))
    assert imported.exit_code == 0, imported.output
    assert_clean(imported.output)
    assert cli(config, "run", "--dry-run").exit_code == 0
    for args in (("status",), ("show", "1"), ("show", "2"), ("notify", "--dry-run", "--preview")):
        result = cli(config, *args)
        assert result.exit_code == 0, result.output
        assert_clean(result.output)
    assert "\\x1b[2J" in cli(config, "show", "2").output  # shown, not obeyed
    data = json.loads(cli(config, "show", "2", "--json").output)
    assert data["pilot"] == "Rekenen\x1b[31m\u202e"  # JSON keeps the data

    assert cli(config, "run").exit_code == 0
    mails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert mails
    for path in mails:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert_clean(str(message["Subject"]))
        for part in message.walk():
            if part.get_content_type().startswith("text/"):
                assert_clean(part.get_content())


def test_edurep_import_escapes_record_ids(server, tmp_path):
    page = (tmp_path / "page.xml")
    original = DATA / "page3.xml"
    page.write_text(original.read_text("utf-8")
                    .replace("<recordIdentifier>wikiwijsmaken:1006",
                             "<recordIdentifier>wikiwijsmaken:&#x9b;2J&#x202e;1006")
                    .replace("<technical>", "<!--").replace("</technical>", "-->"),
                    encoding="utf-8")
    endpoint = server.route("/sru", handler=catalogue({"1": (200, page.read_bytes())}))
    config = tmp_path / "o.toml"
    config.write_text('database = "oer.db"\n[fetch]\nallow_private_networks = true\n',
                      encoding="utf-8")
    result = cli(config, "edurep", "import", "--query", "x", "--pilot", "P",
                 "--maintainer", "a@school.nl", "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "\\x9b2J\\u202e1006" in result.output
    assert_clean(result.output)
