"""A material's life cycle, story by story, end to end: the command line (in process),
a settings file, real SQLite files, a real HTTP server and a real SMTP server on
loopback. Each story is what a coordinator does and what people then receive."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from oermonitor.cli import main

DAY = date.today()  # checks happen now; the job judges as of --today
COORDINATOR = "coordinator@school.nl"
PAGE = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title>
<link rel="license" href="https://creativecommons.org/licenses/by/4.0/"></head>
<body><main><h1>{title}</h1><p>Gewijzigd op <time datetime="2026-02-01">2026-02-01</time>.</p>
<p>Lesmateriaal over {title}: uitleg, voorbeelden en opgaven voor de onderbouw.</p>
</main></body></html>"""


def page(title: str) -> str:
    return PAGE.format(title=title)


class Desk:
    """The coordinator's desk: settings, spreadsheet, the command line."""

    def __init__(self, tmp_path, smtp, **notify):
        self.folder = tmp_path
        extra = "".join(f"{k} = {v}\n" for k, v in notify.items())
        (tmp_path / "oermonitor.toml").write_text(f"""
database = "oermonitor.db"
[fetch]
allow_private_networks = true
per_host_delay = 0
max_tries = 1
[policy]
failures_before_broken = 1
recheck_after_hours = 0
[notify]
remind_every_days = 7
{extra}
[smtp]
host = "127.0.0.1"
port = {smtp.port}
from = "oermonitor@school.nl"
timeout = 5
""", encoding="utf-8")

    def om(self, *args: str, code: int = 0):
        result = CliRunner().invoke(main, ["--config", str(self.folder / "oermonitor.toml"),
                                           *args])
        assert result.exit_code == code, result.output
        return result

    def sheet(self, *rows: tuple[str, str], name: str = "materialen.csv") -> str:
        lines = ["url;maintainer_email;pilot;title;pilot_end_date;coordinator_email"]
        lines += [f"{url};{who};Rekenen;{title};01-08-2026;{COORDINATOR}"
                  for url, who, title in rows]
        path = self.folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)

    def run(self, day: date) -> None:
        self.om("run", "--today", day.strftime("%d-%m-%Y"))  # as people type dates

    def status(self) -> list[dict]:
        return json.loads(self.om("status", "--json").output)

    def show(self, key) -> str:
        return self.om("show", str(key)).output


def text(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def desk(tmp_path, smtp):
    return Desk(tmp_path, smtp)


# -- the page moved ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["move", "reimport"])
def test_page_moves_coordinator_resolves_it_one_material_ok_no_more_mail(
        desk, server, smtp, how):
    old = server.route("/les/breuken", status=301,
                       headers={"Location": "/nieuw/breuken-en-procenten"})
    new = server.url("/nieuw/breuken-en-procenten")
    server.route("/nieuw/breuken-en-procenten", page("Breuken"))
    desk.om("import", desk.sheet((old, "anne@school.nl", "Breuken")))
    desk.run(DAY)

    [told] = smtp.to("anne@school.nl")  # told once, nothing needed from her
    assert "Niets:" in text(told) and new in text(told)
    [summary] = smtp.to(COORDINATOR)
    assert "Verhuisde pagina's" in text(summary) and new in text(summary)
    assert desk.status()[0]["state"] == "moved"
    desk.run(DAY + timedelta(days=8))  # no reminder to the teacher; coordinator: still open
    assert len(smtp.to("anne@school.nl")) == 1
    assert "Dit staat nog open" in text(smtp.to(COORDINATOR)[-1])

    if how == "move":
        desk.om("move", "1", new, "--by", COORDINATOR)
    else:  # what the summary mail says: replace the address in the spreadsheet, import again
        out = desk.om("import", desk.sheet((new, "anne@school.nl", "Breuken"))).output
        assert "moved 1" in out and "added 0" in out
    told_before = len(smtp.to(COORDINATOR))
    desk.run(DAY + timedelta(days=9))
    desk.run(DAY + timedelta(days=30))

    [material] = desk.status()
    assert (material["id"], material["url"], material["state"]) == (1, new, "ok")
    assert len(smtp.to("anne@school.nl")) == 1
    assert len(smtp.to(COORDINATOR)) == told_before
    shown = desk.show(1)
    assert "address changed to " + new in shown


def test_same_page_redirect_is_no_problem_at_all(desk, server, smtp):
    old = server.route("/les/procenten", status=301, headers={"Location": "/les/procenten/"})
    server.route("/les/procenten/", page("Procenten"))
    desk.om("import", desk.sheet((old, "anne@school.nl", "Procenten")))
    desk.run(DAY)

    [material] = desk.status()
    assert material["state"] == "ok" and material["problems"] == []
    assert material["url"] == old + "/"
    assert smtp.messages == []
    assert "address updated to " + old + "/" in desk.show(1)
    desk.run(DAY + timedelta(days=1))
    assert server.hits("/les/procenten") == 1  # the next check goes to the new address


# -- retired ------------------------------------------------------------------------------


def test_retired_material_is_not_checked_nor_mailed_and_listed_apart(desk, server, smtp):
    gone = server.route("/les/weg", status=404)
    fine = server.route("/les/goed", page("Goed"))
    desk.om("import", desk.sheet((gone, "anne@school.nl", "Weg"),
                                 (fine, "anne@school.nl", "Goed")))
    desk.om("retire", gone, "--reason", "vervangen door de nieuwe methode")
    desk.run(DAY)
    desk.run(DAY + timedelta(days=8))

    assert server.hits("/les/weg") == 0 and smtp.messages == []
    states = {m["url"]: m["state"] for m in desk.status()}
    assert states == {gone: "retired", fine: "ok"}
    overview = desk.om("status").output
    assert "1 material (and 1 retired, not counted)" in overview
    assert "Retired (1)" in overview and "vervangen door de nieuwe methode" in overview
    assert "retired: vervangen door de nieuwe methode (by operator)" in desk.show(1)
    desk.om("report", "--html", "overzicht.html")
    html = (desk.folder / "overzicht.html").read_text(encoding="utf-8")
    assert "Ingetrokken (1)" in html and "+ 1 ingetrokken" in html

    desk.om("retire", "1", "--undo")
    desk.run(DAY + timedelta(days=9))
    assert server.hits("/les/weg") == 1 and len(smtp.to("anne@school.nl")) == 1


# -- handed over ---------------------------------------------------------------------------


def test_reassign_welcomes_the_new_maintainer_who_then_gets_the_digest(desk, server, smtp):
    url = server.route("/les/kapot", status=404)
    other = server.route("/les/ander", page("Ander"))
    desk.om("import", desk.sheet((url, "anne@school.nl", "Kapot"),
                                 (other, "anne@school.nl", "Ander")))
    desk.run(DAY)
    assert len(smtp.to("anne@school.nl")) == 1

    out = desk.om("reassign", "--from", "anne@school.nl", "--to", "bram@school.nl",
                  "--name", "Bram de Boer", "--by", COORDINATOR).output
    assert "Handed 2 material(s)" in out and "Welcome email sent to bram@school.nl" in out
    [welcome] = smtp.to("bram@school.nl")
    assert welcome["Subject"] == "Je beheert nu 2 lesmaterialen"
    assert url in text(welcome) and other in text(welcome)

    desk.run(DAY + timedelta(days=1))
    digests = smtp.to("bram@school.nl")[1:]
    assert len(digests) == 1 and url in text(digests[0])  # new to him: told at once
    desk.run(DAY + timedelta(days=20))
    assert len(smtp.to("anne@school.nl")) == 1  # the old maintainer: nothing more
    assert len(smtp.to("bram@school.nl")) == 3  # welcome, digest, one reminder; no 2nd welcome
    assert "handed over from anne@school.nl to bram@school.nl (by coordinator@school.nl)" \
        in desk.show(1)


def test_reassign_one_material_when_mail_is_down_welcomes_with_the_next_run(
        desk, server, smtp):
    url = server.route("/les/goed", page("Goed"))
    desk.om("import", desk.sheet((url, "anne@school.nl", "Goed")))
    smtp.stop()
    result = desk.om("reassign", "1", "--to", "bram@school.nl")
    assert "welcome email not sent now" in result.output
    smtp.start()
    desk.run(DAY)
    assert len(smtp.to("bram@school.nl")) == 1 and smtp.to("anne@school.nl") == []


def test_a_delayed_welcome_goes_alone_and_the_problems_follow_the_next_night(
        desk, server, smtp):
    url = server.route("/les/kapot", status=404)
    desk.om("import", desk.sheet((url, "anne@school.nl", "Kapot")))
    smtp.stop()
    assert "welcome email not sent now" in desk.om("reassign", "1", "--to",
                                                   "bram@school.nl").output
    smtp.start()
    desk.run(DAY)  # the welcome waited for this run, which also finds the page broken
    [welcome] = smtp.to("bram@school.nl")  # one mail a night: the welcome first
    assert welcome["Subject"] == "Je beheert nu 'Kapot'"
    desk.run(DAY + timedelta(days=1))
    welcome, digest = smtp.to("bram@school.nl")
    assert url in text(digest) and "aandacht" in digest["Subject"]


# -- nobody keeps it -----------------------------------------------------------------------


def test_bounce_shows_no_maintainer_in_summary_status_and_report(desk, server, smtp):
    url = server.route("/les/kapot", status=404)
    desk.om("import", desk.sheet((url, "weg@school.nl", "Kapot")))
    smtp.refuse.add("weg@school.nl")
    desk.run(DAY)

    [summary] = smtp.to(COORDINATOR)
    body = text(summary)
    assert "Lesmateriaal zonder beheerder" in body and "een nieuwe beheerder bij het materiaal" in body
    [material] = desk.status()
    assert material["state"] == "broken"
    assert material["problems"] == ["broken", "no_maintainer"]
    assert "no maintainer: email to weg@school.nl does not arrive" in desk.om("status").output
    desk.om("report", "--html", "overzicht.html")
    assert "Niemand houdt dit materiaal bij" in (desk.folder / "overzicht.html").read_text(encoding="utf-8")

    desk.om("reassign", "1", "--to", "bram@school.nl")
    assert desk.status()[0]["problems"] == ["broken"]


def test_released_material_has_no_maintainer_until_handed_over(desk, server, smtp):
    url = server.route("/les/goed", page("Goed"))
    desk.om("import", desk.sheet((url, "anne@school.nl", "Goed")))
    desk.run(DAY)
    assert smtp.messages == []
    desk.om("release", "1", "--by", "anne@school.nl", "--colleague", "bram@school.nl")
    assert desk.status()[0]["state"] == "no_maintainer"
    server.route("/les/goed", status=404)  # and then the page breaks
    desk.run(DAY + timedelta(days=1))
    [summary] = smtp.to(COORDINATOR)
    assert "stelt bram@school.nl voor" in text(summary)
    assert "De pagina is niet meer te vinden" in text(summary)  # the coordinator hears of it instead
    assert smtp.to("anne@school.nl") == []  # she let it go: not mailed about it
    desk.om("reassign", "1", "--to", "bram@school.nl")
    assert desk.status()[0]["problems"] == ["broken"]  # kept again, by Bram
    desk.run(DAY + timedelta(days=2))
    assert "De pagina is niet meer te vinden" in text(smtp.to("bram@school.nl")[-1])


def test_mute_until_takes_a_dutch_date_and_is_in_the_history(desk, server, smtp):
    url = server.route("/les/goed", page("Goed"))
    desk.om("import", desk.sheet((url, "anne@school.nl", "Goed")))
    desk.om("mute", "1", "--until", "31-12-2099", "--reason", "verbouwing",
            "--by", COORDINATOR)
    assert "emails paused until 2099-12-31: verbouwing (by coordinator@school.nl)" \
        in desk.show(1)
