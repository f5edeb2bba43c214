"""The coordinator's pages through Flask's test client, on a real SQLite file, with a real
SMTP server for the sign-in mail and a real HTTP server for the materials."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from oermonitor import job, lifecycle, report, signin
from oermonitor.cli import main
from oermonitor.settings import (
    FetchSettings,
    NotifySettings,
    PolicySettings,
    Settings,
    SmtpSettings,
    WebSettings,
)
from oermonitor.store import Store
from oermonitor.web import create_app

SECRET = "a-long-enough-secret-for-the-tests"
ANNA, BOB, BOSS = "anna@school.nl", "bob@school.nl", "boss@school.nl"
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PAGE = ("<html><head><title>{0}</title></head><body><h1>{0}</h1>"
        "<a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a>"
        "</body></html>")


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(tmp_path, smtp):
    return Settings(
        database=tmp_path / "oermonitor.db",
        fetch=FetchSettings(allow_private_networks=True, per_host_delay=0, max_tries=1,
                            timeout=5),
        policy=PolicySettings(failures_before_broken=1),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, from_="oermonitor@school.nl",
                          timeout=5),
        web=WebSettings(base_url="http://oer.school.nl", admins=(BOSS,)))


@pytest.fixture
def db(settings, server):
    """Rekenen (Anna): Breuken (broken) and Procenten (fine); Taal (Bob): Spelling (broken)."""
    server.route("/breuken", status=404, body="<h1>weg</h1>")
    server.route("/procenten", body=PAGE.format("Procenten"))
    server.route("/spelling", status=404, body="<h1>weg</h1>")
    server.route("/nieuw", body=PAGE.format("Breuken, nieuwe plek"))
    with Store.open(settings.database) as store:
        rekenen, _ = store.ensure_pilot("Rekenen", "2025-07-31", ANNA, START)
        taal, _ = store.ensure_pilot("Taal", "2027-07-31", BOB, START)
        tom, _ = store.ensure_maintainer("tom@school.nl", "Tom Jansen", START)
        eva, _ = store.ensure_maintainer("eva@school.nl", "Eva Smit", START)
        ids = {}
        for name, pid, keeper in (("breuken", rekenen, tom), ("procenten", rekenen, eva),
                                  ("spelling", taal, eva)):
            ids[name], _ = store.upsert_material({
                "url": server.url(f"/{name}"), "identity": name, "title": name.capitalize(),
                "pilot_id": pid, "maintainer_id": keeper}, START - timedelta(days=10))
            job.check_one(store, settings, store.material(ids[name]), clock=lambda: START)
        ids["rekenen"], ids["taal"] = rekenen, taal
        yield store, ids


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def web(settings, db, clock):
    return create_app(settings, secret=SECRET, clock=clock).test_client()


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def text(response) -> str:
    return response.get_data(as_text=True)


def ask(web, email: str, **extra):
    token = csrf(web.get("/signin"))
    return web.post("/signin", data={"email": email, "csrf_token": token, **extra})


def link_in(smtp, email: str) -> str:
    for _ in range(200):  # the mail goes out right after the answer, from a thread
        if smtp.to(email):
            break
        time.sleep(0.05)
    body = smtp.to(email)[-1].get_content()
    return re.search(r"http://oer\.school\.nl(/signin/\S+)", body)[1]


def sign_in(web, store, settings, email: str, clock) -> None:
    """Sign in with a link made by the library (the mail is tested on its own)."""
    asked = signin.request_link(store, settings, email, client="192.0.2.50", now=clock.now)
    page = web.get(f"/signin/{asked.token}")
    response = web.post(f"/signin/{asked.token}", data={"csrf_token": csrf(page)})
    assert response.status_code == 303, text(response)


@pytest.fixture
def anna(web, db, settings, clock):
    sign_in(web, db[0], settings, ANNA, clock)
    return web


# -- signing in ------------------------------------------------------------------------


def test_sign_in_with_the_link_from_the_mail(web, smtp):
    assert web.get("/coordinator/").status_code == 302  # to the sign-in form
    answer = ask(web, ANNA.upper())
    assert answer.status_code == 200 and "Kijk in je e-mail" in text(answer)
    path = link_in(smtp, ANNA)
    assert smtp.to(ANNA)[0]["Subject"] == "Je inloglink voor oermonitor"

    page = web.get(path)  # a mail scanner opening the link spends nothing
    page = web.get(path)
    assert "Inloggen" in text(page) and web.get("/coordinator/").status_code == 302
    response = web.post(path, data={"csrf_token": csrf(page)})
    assert response.status_code == 303 and response.location.endswith("/coordinator/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie
    overview = web.get("/coordinator/")
    assert overview.status_code == 200 and "Ingelogd als anna@school.nl" in text(overview)

    web.post("/signout", data={"csrf_token": csrf(overview)})
    again = web.post(path, data={"csrf_token": csrf(web.get(path))})  # reused
    assert again.status_code == 410 and "al gebruikt" in text(again)
    assert web.get("/coordinator/").status_code == 302


def test_a_link_expires_after_fifteen_minutes(web, smtp, clock):
    ask(web, ANNA)
    path = link_in(smtp, ANNA)
    clock.now += timedelta(minutes=15)
    response = web.post(path, data={"csrf_token": csrf(web.get(path))})
    assert response.status_code == 410 and "verlopen" in text(response)
    assert web.get("/coordinator/").status_code == 302
    tampered = web.post(path + "x", data={"csrf_token": csrf(web.get(path))})
    assert tampered.status_code == 404


def test_an_unknown_address_gets_the_same_answer_and_no_mail(web, smtp):
    unknown = text(ask(web, "eve@example.org"))
    known = text(ask(web, BOB))
    assert unknown.replace("eve@example.org", "X") == known.replace(BOB, "X")
    link_in(smtp, BOB)
    assert [to for _, (to,) in smtp.envelopes] == [BOB]


def test_asking_too_often_is_refused_for_known_and_unknown_alike(web, smtp):
    for email in (ANNA, "eve@example.org"):
        for _ in range(signin.PER_ADDRESS):
            assert ask(web, email).status_code == 200
        refused = ask(web, email)
        assert refused.status_code == 429 and "te veel" in text(refused)
    assert ask(web, "geen adres").status_code == 400


def test_the_session_ends_after_session_days_and_with_the_registry(anna, db, clock, settings):
    assert anna.get("/coordinator/").status_code == 200
    clock.now += timedelta(days=settings.web.session_days) - timedelta(minutes=1)
    assert anna.get("/coordinator/").status_code == 200
    clock.now += timedelta(minutes=1)
    assert anna.get("/coordinator/").status_code == 302


def test_no_longer_a_coordinator_means_signed_out(anna, db):
    store, _ = db
    store.ensure_pilot("Rekenen", None, "someone@school.nl", START)
    response = anna.get("/coordinator/")
    assert response.status_code == 302 and "/signin" in response.location


def test_secure_cookie_behind_https(settings, db, clock):
    https = replace(settings, web=replace(settings.web, base_url="https://oer.school.nl"))
    web = create_app(https, secret=SECRET, clock=clock).test_client()
    asked = signin.request_link(db[0], https, ANNA, client="192.0.2.1", now=clock.now)
    page = web.get(f"/signin/{asked.token}", base_url="https://localhost")
    response = web.post(f"/signin/{asked.token}", data={"csrf_token": csrf(page)},
                        base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_sign_in_returns_to_the_page_asked_for(web, db, settings, clock, smtp):
    store, ids = db
    target = f"/coordinator/material/{ids['breuken']}"
    form = web.get(target)
    assert form.status_code == 302
    page = web.get(form.location)
    web.post("/signin", data={"email": ANNA, "csrf_token": csrf(page),
                              "next": target})
    path = link_in(smtp, ANNA)
    response = web.post(path, data={"csrf_token": csrf(web.get(path))})
    assert response.location == target
    # elsewhere is never a place to go back to
    assert signin.request_link  # (the form ignores next=https://evil.example/...)
    page = web.get("/signin?next=https://evil.example/coordinator/")
    assert "evil" not in text(page)


# -- who sees what ---------------------------------------------------------------------


def test_a_coordinator_sees_and_acts_on_their_own_pilot_only(anna, db):
    store, ids = db
    page = anna.get("/coordinator/")
    html = text(page)
    assert "Breuken" in html and "Rekenen" in html
    assert "Spelling" not in html and "Taal" not in html
    assert anna.get(f"/coordinator/material/{ids['spelling']}").status_code == 404
    assert anna.get("/coordinator/material/999999").status_code == 404
    assert anna.get(f"/coordinator/pilot/{ids['taal']}").status_code == 404
    assert anna.get(f"/coordinator/pilot/{ids['rekenen']}").status_code == 200
    token = csrf(page)
    for action, data in (("confirm", {}), ("retire", {"reason": "weg"}),
                         ("move", {"url": "https://example.org/x"}),
                         ("reassign", {"email": "mallory@example.org"})):
        response = anna.post(f"/coordinator/material/{ids['spelling']}/{action}",
                             data={"csrf_token": token, **data})
        assert response.status_code == 404
    spelling = store.material(ids["spelling"])
    assert spelling["retired_at"] is None and spelling["maintainer_email"] == "eva@school.nl"
    assert store.confirmations(ids["spelling"]) == [] and store.events(ids["spelling"]) == []
    assert "Spelling" not in text(anna.get("/coordinator/?pilot=Taal&state=broken"))
    assert "Spelling" not in text(anna.get("/coordinator/overview.csv?pilot=Taal"))
    assert all(r["pilot"] == "Rekenen"
               for r in json.loads(anna.get("/coordinator/overview.json").data))
    response = anna.post(f"/coordinator/pilot/{ids['taal']}/reachable",
                         data={"csrf_token": token, "email": "eva@school.nl"})
    assert response.status_code == 404


def test_an_admin_sees_every_pilot(web, db, settings, clock):
    store, ids = db
    sign_in(web, store, settings, BOSS, clock)
    html = text(web.get("/coordinator/"))
    assert "Breuken" in html and "Spelling" in html
    assert web.get(f"/coordinator/material/{ids['spelling']}").status_code == 200


# -- the overview ----------------------------------------------------------------------


def test_overview_filters_and_what_if(anna, db):
    store, ids = db
    html = text(anna.get("/coordinator/"))
    assert f'data-id="{ids["breuken"]}"' in html and f'data-id="{ids["procenten"]}"' not in html
    assert "link werkt niet" in html
    ok = text(anna.get("/coordinator/?state=ok"))
    assert f'data-id="{ids["procenten"]}"' in ok and f'data-id="{ids["breuken"]}"' not in ok
    assert f'data-id="{ids["procenten"]}"' in text(anna.get("/coordinator/?state=ok&q=procent"))
    assert "data-id=" not in text(anna.get("/coordinator/?state=ok&q=breuken"))
    mine = text(anna.get("/coordinator/?maintainer=eva@school.nl&state=ok"))
    assert f'data-id="{ids["procenten"]}"' in mine
    assert "data-id=" not in text(anna.get("/coordinator/?maintainer=tom@school.nl&state=ok"))
    # Rekenen ended in 2025: by 2027 a page unchanged since now is stale
    future = text(anna.get("/coordinator/?date=2027-06-01&state=stale"))
    assert f'data-id="{ids["procenten"]}"' in future and "1 juni 2027" in future
    assert "begrijpen we niet" in text(anna.get("/coordinator/?date=morgen"))


def test_downloads_hold_what_status_prints(anna, db, settings, tmp_path):
    config = tmp_path / "oermonitor.toml"
    config.write_text(f'database = "{settings.database}"\n'
                      "[policy]\nfailures_before_broken = 1\n")
    status = CliRunner().invoke(main, ["--config", str(config), "status", "--json",
                                       "--pilot", "Rekenen", "--today", "2026-03-10"])
    assert status.exit_code == 0, status.output
    response = anna.get("/coordinator/overview.json")
    assert response.mimetype == "application/json"
    shown, printed = json.loads(response.data), json.loads(status.output)
    assert [r["id"] for r in shown] == [r["id"] for r in printed]
    for a, b in zip(shown, printed, strict=True):
        assert {k: (v, b.get(k)) for k, v in a.items() if v != b.get(k)} == {}
    assert shown == printed

    csv = anna.get("/coordinator/overview.csv?state=broken")
    assert "attachment" in csv.headers["Content-Disposition"]
    assert csv.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(nl for _, _, nl in report.CSV_COLUMNS)  # Dutch by default
    assert len(lines) == 2 and ";Breuken;" in lines[1]
    found = anna.get("/coordinator/overview.csv?q=procent&maintainer=eva@school.nl")
    assert [line.split(";")[2] for line in found.data.decode("utf-8-sig").splitlines()[1:]] \
        == ["Procenten"]


# -- the material page and its actions ---------------------------------------------------


def act(web, material_id: int, action: str, **data):
    page = web.get(f"/coordinator/material/{material_id}")
    return web.post(f"/coordinator/material/{material_id}/{action}",
                    data={"csrf_token": csrf(page), **data})


def test_the_material_page_tells_the_story(anna, db):
    store, ids = db
    html = text(anna.get(f"/coordinator/material/{ids['breuken']}"))
    assert "Breuken" in html and "/breuken" in html and "Tom Jansen" in html
    assert "Wat we zagen" in html and "Geschiedenis" in html and "Controle" in html
    assert 'rel="noreferrer noopener nofollow"' in html


def test_every_action_is_recorded_with_the_coordinators_address(anna, db, server, smtp):
    store, ids = db
    mid = ids["breuken"]

    def done(response, action):
        assert response.status_code == 303, text(response)
        assert response.location.endswith(f"/coordinator/material/{mid}?done={action}#result")

    done(act(anna, mid, "confirm", note="Tom belde"), "confirm")
    (confirmation,) = store.confirmations(mid)
    assert confirmation["by"] == ANNA and confirmation["note"] == "Tom belde"

    checks = len(store.checks(mid))
    server.route("/breuken", body=PAGE.format("Breuken"))
    done(act(anna, mid, "recheck"), "recheck")
    assert len(store.checks(mid)) == checks + 1
    assert store.material(mid)["availability"] == "ok"

    done(act(anna, mid, "mute", until="2026-04-01", reason="Tom is met verlof"), "mute")
    assert store.material(mid)["muted_until"] == "2026-04-01"
    done(act(anna, mid, "unmute"), "unmute")
    assert store.material(mid)["muted_until"] is None
    done(act(anna, mid, "evergreen", on="1"), "evergreen")
    assert store.material(mid)["evergreen"] == 1
    done(act(anna, mid, "review", days="730"), "review")
    assert store.material(mid)["review_interval_days"] == 730
    done(act(anna, mid, "review", days=""), "review")
    assert store.material(mid)["review_interval_days"] is None

    lifecycle.propose_move(store, store.material(mid), "https://example.org/elders",
                           by="tom@school.nl", now=START)
    assert "Voorgesteld adres: https://example.org/elders" in text(
        anna.get(f"/coordinator/material/{mid}"))
    done(act(anna, mid, "dismiss"), "dismiss")
    assert store.material(mid)["proposed_url"] is None
    done(act(anna, mid, "move", url=server.url("/nieuw")), "move")
    assert store.material(mid)["url"] == server.url("/nieuw")
    done(act(anna, mid, "reassign", email="Nina@School.nl", name="Nina"), "reassign")
    assert store.material(mid)["maintainer_email"] == "nina@school.nl"
    assert smtp.to("nina@school.nl")  # the welcome went out at once
    done(act(anna, mid, "retire", reason="vervangen"), "retire")
    assert store.material(mid)["retired_at"]
    done(act(anna, mid, "unretire"), "unretire")
    assert store.material(mid)["retired_at"] is None

    kinds = [(e["kind"], e["by"]) for e in reversed(store.events(mid))]
    assert kinds == [("confirm", ANNA), ("recheck", ANNA), ("mute", ANNA), ("unmute", ANNA),
                     ("evergreen", ANNA), ("review_interval", ANNA),
                     ("review_interval", ANNA), ("proposal", "tom@school.nl"),
                     ("proposal_dismissed", ANNA), ("move", ANNA), ("reassign", ANNA),
                     ("retire", ANNA), ("unretire", ANNA)]
    story = text(anna.get(f"/coordinator/material/{mid}"))
    assert "Verhuisd naar" in story and "door anna@school.nl" in story


def test_a_refused_action_says_why_and_changes_nothing(anna, db):
    store, ids = db
    mid = ids["breuken"]
    response = act(anna, mid, "move", url="geen adres")
    assert response.status_code == 400 and "Dat lukte niet" in text(response)
    assert act(anna, mid, "mute", until="", reason="x").status_code == 400
    assert act(anna, mid, "review", days="nul").status_code == 400
    assert act(anna, mid, "retire", reason=" ").status_code == 400
    assert act(anna, mid, "fly").status_code == 404
    assert store.events(mid) == [] and store.material(mid)["url"].endswith("/breuken")


def test_a_post_without_the_csrf_token_changes_nothing(anna, db):
    store, ids = db
    response = anna.post(f"/coordinator/material/{ids['breuken']}/retire",
                         data={"reason": "weg"})
    assert response.status_code == 400
    assert store.material(ids["breuken"])["retired_at"] is None


# -- the pilot page --------------------------------------------------------------------


def test_the_pilot_page_lists_maintainers_and_who_is_unreachable(anna, db):
    store, ids = db
    store.mark_bounced("tom@school.nl", "550 no such user", START)
    page = anna.get(f"/coordinator/pilot/{ids['rekenen']}")
    html = text(page)
    assert "Tom Jansen" in html and "Eva Smit" in html and "31 juli 2025" in html
    assert "E-mail komt niet aan" in html and "550 no such user" in html
    assert "Zonder beheerder (1)" in html  # Tom's address bounces: Breuken has no keeper
    response = anna.post(f"/coordinator/pilot/{ids['rekenen']}/reachable",
                         data={"csrf_token": csrf(page), "email": "tom@school.nl"})
    assert response.status_code == 303
    assert store.maintainer_by_email("tom@school.nl")["bounced_at"] is None


def test_english_when_configured(settings, db, clock):
    english = replace(settings, language="en", notify=NotifySettings())
    web = create_app(english, secret=SECRET, clock=clock).test_client()
    sign_in(web, db[0], english, ANNA, clock)
    html = text(web.get("/coordinator/"))
    assert "Needs attention" in html and 'lang="en"' in html


def test_the_client_limit_counts_the_address_a_local_proxy_forwarded(web):
    def ask_as(email, forwarded, remote="127.0.0.1"):
        return web.post("/signin", data={"email": email, "csrf_token": csrf(web.get("/signin"))},
                        headers={"X-Forwarded-For": forwarded},
                        environ_base={"REMOTE_ADDR": remote})

    for n in range(signin.PER_CLIENT):
        assert ask_as(f"x{n}@example.org", "10.9.9.9, 203.0.113.5").status_code == 200
    assert ask_as("y@example.org", "203.0.113.5").status_code == 429
    assert ask_as("y@example.org", "203.0.113.6").status_code == 200  # someone else
    # a client that is not the local proxy cannot pick an address to be counted under
    for n in range(signin.PER_CLIENT):
        ask_as(f"z{n}@example.org", f"203.0.113.{100 + n}", remote="198.51.100.1")
    assert ask_as("w@example.org", "203.0.113.200", remote="198.51.100.1").status_code == 429
