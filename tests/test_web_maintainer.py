"""The maintainer's page behind the link in an email, through Flask's test client on a
real SQLite file, with the material served by a real loopback HTTP server."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from oermonitor import job, links, notify, policy
from oermonitor.settings import FetchSettings, Settings, SmtpSettings
from oermonitor.store import Store, utcnow
from oermonitor.web import create_app

SECRET = "a-long-enough-secret-for-the-tests"
PAGE = ("<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        "<a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a>"
        "</body></html>")


@pytest.fixture
def site(server):
    server.route("/breuken", body=PAGE.format(title="Breuken oefenen"))
    server.route("/geheim", body=PAGE.format(title="Geheime les van Bram"))
    return server


@pytest.fixture
def settings(tmp_path):
    return Settings(database=tmp_path / "oermonitor.db",
                    fetch=FetchSettings(allow_private_networks=True, per_host_delay=0,
                                        max_tries=1, timeout=5))


@pytest.fixture
def db(settings, site):
    """Two materials of two maintainers in one pilot; returns (store, anne's, bram's)."""
    now = utcnow()
    with Store.open(settings.database) as store:
        pid, _ = store.ensure_pilot("Rekenen", "2025-07-31", "co@school.nl", now)
        anne, _ = store.ensure_maintainer("anne@school.nl", "Anne de Vries", now)
        bram, _ = store.ensure_maintainer("bram@school.nl", "Bram Bos", now)
        a, _ = store.upsert_material({"url": site.url("/breuken"), "identity": "a",
                                      "title": "Breuken oefenen", "pilot_id": pid,
                                      "maintainer_id": anne}, now)
        b, _ = store.upsert_material({"url": site.url("/geheim"), "identity": "b",
                                      "title": "Geheime les van Bram", "pilot_id": pid,
                                      "maintainer_id": bram}, now)
        yield store, a, b


def client(settings):
    return create_app(settings, secret=SECRET).test_client()


def token(material_id: int, email: str = "anne@school.nl", *, days: int = 60,
          made=None) -> str:
    return links.make_token(SECRET, material_id, email, now=made or utcnow(), days=days)


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def opened(web, tok: str):
    """GET the page as a browser would; returns (page text, csrf token)."""
    response = web.get(f"/m/{tok}")
    assert response.status_code == 200
    return response.get_data(as_text=True), csrf(response)


def test_the_page_shows_the_material_and_its_findings_and_nothing_of_others(settings, db,
                                                                            site):
    store, a, b = db
    site.route("/breuken", status=404, body="<h1>Niet gevonden</h1>")
    for _ in range(settings.policy.failures_before_broken):  # two nights, as the job does
        job.check_one(store, settings, store.material(a))
    html, _ = opened(client(settings), token(a))
    assert "Breuken oefenen" in html and "/breuken" in html and "Rekenen" in html
    assert "De pagina is niet meer te vinden" in html  # the email's own words for the finding
    for button in ("Klopt nog", "Controleer nu opnieuw"):
        assert f">{button}</button>" in html
    assert "Bram" not in html and "geheim" not in html.lower()
    assert "anne@school.nl" not in html  # not even the address the link is for
    assert 'lang="nl"' in html


def test_english_with_language_en(settings, db):
    store, a, _ = db
    html, _ = opened(client(Settings(**{**settings.__dict__, "language": "en"})), token(a))
    assert 'lang="en"' in html and ">Still correct</button>" in html
    assert "Klopt nog" not in html and "What we saw" in html


def test_get_changes_nothing(settings, db, site):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    for path in (f"/m/{tok}", f"/m/{tok}?do=confirm", f"/m/{tok}?do=recheck"):
        assert web.get(path).status_code == 200
        assert web.head(path).status_code == 200
    for action in ("confirm", "recheck"):
        assert web.get(f"/m/{tok}/{action}").status_code == 405
    assert store.confirmations(a) == [] and store.checks(a) == []
    assert site.requests == []  # not even a fetch


def test_the_link_named_action_comes_first_and_stands_out(settings, db):
    _, a, _ = db
    html = client(settings).get(f"/m/{token(a)}?do=recheck").get_data(as_text=True)
    assert html.index('id="recheck"') < html.index('id="confirm"')
    assert 'class="action chosen" id="recheck"' in html


def test_klopt_nog_records_a_confirmation_with_the_maintainers_address(settings, db):
    store, a, b = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    response = web.post(f"/m/{tok}/confirm", data={"csrf_token": form})
    assert response.status_code == 303 and "done=confirm" in response.headers["Location"]
    [confirmation] = store.confirmations(a)
    assert confirmation["by"] == "anne@school.nl"
    assert store.tracking(a)["confirmed"] == confirmation["confirmed_at"][:10]
    assert store.confirmations(b) == []
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vastgelegd: het materiaal is nog actueel" in page
    assert "Je bevestigde op" in page


def test_replaying_an_action_is_harmless(settings, db, site):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    for _ in range(3):
        assert web.post(f"/m/{tok}/confirm", data={"csrf_token": form}).status_code == 303
        assert web.post(f"/m/{tok}/recheck", data={"csrf_token": form}).status_code == 303
    assert len(store.confirmations(a)) == 1
    assert len(store.checks(a)) == 1 and site.hits("/breuken") == 1


def test_ik_heb_het_aangepast_checks_now_and_shows_the_new_result(settings, db, site):
    store, a, _ = db
    site.route("/breuken", status=404, body="<h1>Niet gevonden</h1>")
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    response = web.post(f"/m/{tok}/recheck", data={"csrf_token": form})
    assert response.status_code == 303 and site.hits("/breuken") == 1
    [check] = store.checks(a)
    assert check["availability"] == "missing" and check["run_id"] is None
    [event] = store.events(a)  # in the material's history, with who asked
    assert (event["kind"], event["by"]) == ("recheck", "anne@school.nl")
    assert store.material(a)["next_check_at"] > check["checked_at"]

    # Fixed by the teacher; a minute later (a new check, not the one just made) it is fine.
    site.route("/breuken", body=PAGE.format(title="Breuken oefenen"))
    store.db["checks"].update(check["id"], {
        "checked_at": (utcnow() - timedelta(minutes=2)).isoformat(timespec="seconds")})
    response = web.post(f"/m/{tok}/recheck", data={"csrf_token": form})
    latest = store.checks(a)[0]
    assert latest["availability"] == "ok" and latest["licence"] == "CC-BY-4.0"
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Net opnieuw gecontroleerd" in page and "Alles in orde" in page
    assert "CC BY 4.0 (Naamsvermelding)" in page


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}, {"csrf_token": ""}])
def test_a_post_without_the_pages_csrf_token_is_refused(settings, db, site, form):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    opened(web, tok)
    for action in ("confirm", "recheck"):
        response = web.post(f"/m/{tok}/{action}", data=form)
        assert response.status_code == 400
        assert "Open de link uit je e-mail opnieuw" in response.get_data(as_text=True)
    assert store.confirmations(a) == [] and store.checks(a) == [] and site.requests == []


def test_a_csrf_token_from_another_browser_is_refused(settings, db):
    store, a, _ = db
    tok = token(a)
    _, theirs = opened(client(settings), tok)
    mine = client(settings)
    opened(mine, tok)
    assert mine.post(f"/m/{tok}/confirm", data={"csrf_token": theirs}).status_code == 400
    assert store.confirmations(a) == []


def test_an_expired_link_gets_a_friendly_page_and_does_nothing(settings, db):
    store, a, _ = db
    web = client(settings)
    old = token(a, days=60, made=utcnow() - timedelta(days=61))
    response = web.get(f"/m/{old}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Deze link is verlopen" in page and "volgende e-mail" in page
    assert "Breuken" not in page
    _, form = opened(web, token(a))  # a session with a valid form token
    assert web.post(f"/m/{old}/confirm", data={"csrf_token": form}).status_code == 410
    assert store.confirmations(a) == []


def test_a_tampered_link_gets_a_friendly_page_and_does_nothing(settings, db):
    store, a, b = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    payload, signature = tok.split(".")
    other = token(b, "anne@school.nl").split(".")[0]  # b's payload with a's signature
    for bad in (payload + "." + signature[::-1], other + "." + signature, "nonsense"):
        response = web.get(f"/m/{bad}")
        assert response.status_code == 404
        assert "Deze link klopt niet" in response.get_data(as_text=True)
        assert web.post(f"/m/{bad}/confirm", data={"csrf_token": form}).status_code == 404
    assert store.confirmations(a) == [] and store.confirmations(b) == []


def test_a_link_for_one_material_cannot_act_on_another(settings, db):
    store, a, b = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    # Whatever else the request names, the token decides which material is meant.
    web.post(f"/m/{tok}/confirm?material={b}", data={"csrf_token": form, "material_id": b})
    assert len(store.confirmations(a)) == 1 and store.confirmations(b) == []
    # Anne's signed link for Bram's material (she is not its maintainer) works for nobody.
    response = web.post(f"/m/{token(b)}/confirm", data={"csrf_token": form})
    assert response.status_code == 410 and store.confirmations(b) == []


def test_reassigning_ends_the_link_with_a_friendly_page(settings, db):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    bram = store.maintainer_by_email("bram@school.nl")["id"]
    store.update_material(a, {"maintainer_id": bram})
    response = web.get(f"/m/{tok}")
    assert response.status_code == 410
    assert "andere beheerder" in response.get_data(as_text=True)
    assert web.post(f"/m/{tok}/confirm", data={"csrf_token": form}).status_code == 410
    assert store.confirmations(a) == []


def test_pages_keep_the_token_to_themselves(settings, db):
    _, a, _ = db
    response = client(settings).get(f"/m/{token(a)}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_pages_and_errors_are_friendly(settings, db):
    web = client(settings)
    response = web.get("/nowhere")
    assert response.status_code == 404 and "Deze pagina bestaat niet" in response.get_data(
        as_text=True)


# -- "Het staat nu op een ander adres" ---------------------------------------------------


def post(web, tok: str, action: str, **form):
    _, token_field = opened(web, tok)
    return web.post(f"/m/{tok}/{action}", data={"csrf_token": token_field, **form})


def test_a_new_address_the_old_one_redirects_to_is_applied_at_once(settings, db, site):
    store, a, _ = db
    new = site.route("/breuken-2026", body=PAGE.format(title="Breuken oefenen"))
    site.route("/breuken", status=301, headers={"Location": "/breuken-2026"})
    web = client(settings)
    tok = token(a)
    response = post(web, tok, "move", new_url=new)
    assert response.status_code == 303
    material = store.material(a)
    assert material["url"] == new and material["proposed_url"] is None
    [check] = store.checks(a)  # checked at once, at the new address
    assert check["url"] == new and check["availability"] == "ok"
    [event] = [e for e in store.events(a) if e["kind"] == "move"]
    assert event["by"] == "anne@school.nl" and event["detail"]["to"] == new
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Het adres is bijgewerkt" in page and "/breuken-2026" in page
    # The same link still works (same material, same maintainer); a replay changes nothing.
    assert post(web, tok, "move", new_url=new).status_code == 303
    assert len(store.checks(a)) == 1 and store.material(a)["url"] == new


def test_the_same_platform_identity_is_the_same_material(settings, db, site):
    store, a, _ = db
    store.update_material(a, {"identity": "wikiwijs:171772"})
    new = site.route("/arrangement", body=(
        "<html><head><title>Breuken</title><link rel='canonical' "
        "href='https://maken.wikiwijs.nl/171772/Breuken_oefenen'></head><body>Breuken</body>"
        "</html>"))
    assert post(client(settings), token(a), "move", new_url=new).status_code == 303
    assert store.material(a)["url"] == new


def test_another_address_elsewhere_is_proposed_to_the_coordinator(settings, db, site):
    store, a, _ = db
    new = site.route("/iets-anders", body=PAGE.format(title="Breuken, nieuwe versie"))
    web = client(settings)
    tok = token(a)
    response = post(web, tok, "move", new_url=new)
    assert response.status_code == 303
    material = store.material(a)
    assert material["url"] == site.url("/breuken") and material["proposed_url"] == new
    assert material["proposed_by"] == "anne@school.nl"
    assert [e["kind"] for e in store.events(a)] == ["proposal"]
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "De coördinator bekijkt dat" in page and "/iets-anders" in page
    assert post(web, tok, "move", new_url=new).status_code == 303  # replay
    assert [e["kind"] for e in store.events(a)] == ["proposal"]


@pytest.mark.parametrize("new_url, says", [
    ("breuken.nl/les", "Dat is geen volledig webadres"),
    ("/nowhere", "Dat adres konden we niet openen"),
    ("/geheim", "al als ander lesmateriaal geregistreerd"),
])
def test_a_new_address_that_cannot_be_taken_comes_back_with_one_line(settings, db, site,
                                                                      new_url, says):
    store, a, b = db
    new_url = site.url(new_url) if new_url.startswith("/") else new_url
    site.route("/breuken", status=301, headers={"Location": "/geheim"})
    response = post(client(settings), token(a), "move", new_url=new_url)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert says in page and f'value="{new_url}"' in page
    assert "Geheime les" not in page and str(b) not in re.findall(r"#(\d+)", page)
    material = store.material(a)
    assert material["url"] == site.url("/breuken") and material["proposed_url"] is None
    assert store.events(a) == []


# -- "Ik beheer dit niet meer" ----------------------------------------------------------


def test_letting_go_tells_the_coordinator_and_counts_as_no_maintainer(settings, db, smtp):
    store, a, _ = db
    job.check_one(store, settings, store.material(a))
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    response = web.post(f"/m/{tok}/release", data={
        "csrf_token": form, "colleague": "Carla@School.nl", "note": "Ik geef geen rekenen meer"})
    assert response.status_code == 303
    material = store.material(a)
    assert material["unowned_reason"] == "released"
    problems = policy.assess(material, settings.policy, utcnow().date()).problems
    assert "no_maintainer" in [p.code for p in problems]
    [event] = store.events(a)
    assert event["kind"] == "release" and event["by"] == "anne@school.nl"
    assert event["detail"]["colleague"] == "carla@school.nl"
    assert event["detail"]["note"] == "Ik geef geen rekenen meer"
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "De coördinator krijgt dit te horen" in page
    assert "<form" not in page  # nothing left to do here
    # The coordinator's next summary tells it, with the colleague Anne suggested.
    mailing = replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=smtp.port))
    notify.send_due(store, mailing, utcnow().date(), utcnow())
    [summary] = smtp.to("co@school.nl")
    text = summary.get_body(("plain",)).get_content()
    assert "Breuken oefenen" in text and "carla@school.nl" in text
    again = web.get(f"/m/{tok}").get_data(as_text=True)
    assert "niet meer beheert" in again and "<form" not in again
    # A replay (the same form sent again) changes nothing.
    assert web.post(f"/m/{tok}/release", data={"csrf_token": form}).status_code == 303
    assert len(store.events(a)) == 1


def test_letting_go_without_a_colleague_is_fine_but_a_bad_address_is_not(settings, db):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    response = post(web, tok, "release", colleague="carla at school")
    assert response.status_code == 422 and "Dat e-mailadres klopt niet" in response.get_data(
        as_text=True)
    assert store.events(a) == []
    assert post(web, tok, "release", colleague="").status_code == 303
    assert store.material(a)["unowned_reason"] == "released"


# -- the coordinator hears of it ------------------------------------------------------------


def test_the_coordinators_next_summary_tells_what_maintainers_did_once(settings, db, site,
                                                                       smtp):
    store, a, b = db
    job.check_one(store, settings, store.material(a))
    job.check_one(store, settings, store.material(b))
    web = client(settings)
    assert post(web, token(a), "confirm").status_code == 303
    new = site.route("/elders", body=PAGE.format(title="Geheim, nieuwe plek"))
    assert post(web, token(b, "bram@school.nl"), "move", new_url=new).status_code == 303
    mailing = replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=smtp.port))

    report = notify.send_due(store, mailing, utcnow().date(), utcnow())
    [summary] = smtp.to("co@school.nl")
    assert [d.role for d in report.planned] == ["coordinator"]  # nothing for the teachers
    assert summary["Subject"] == "Overzicht pilot Rekenen: wat beheerders doorgaven"
    text = summary.get_body(("plain",)).get_content()
    html = summary.get_body(("html",)).get_content()
    assert "Wat beheerders zelf doorgaven" in text
    assert "anne@school.nl: het is nog actueel zoals het is." in text
    assert f"bram@school.nl: gaf {new} door als nieuw adres" in text
    assert "anne@school.nl: het is nog actueel zoals het is." in html

    # Told once: the next run has nothing new to say about it.
    notify.send_due(store, mailing, utcnow().date(), utcnow())
    assert len(smtp.to("co@school.nl")) == 1


def test_error_pages_follow_the_language(settings, db):
    _, a, _ = db
    web = client(replace(settings, language="en"))
    old = token(a, made=utcnow() - timedelta(days=90))
    page = web.get(f"/m/{old}").get_data(as_text=True)
    assert "This link has expired" in page and 'lang="en"' in page
    assert "Deze link" not in page


def test_an_internal_failure_gets_a_friendly_page(settings, db, tmp_path):
    _, a, _ = db
    broken = replace(settings, database=tmp_path)  # a folder, not a database
    response = client(broken).get(f"/m/{token(a)}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging bij ons iets mis" in page and "Traceback" not in page


def test_the_session_cookie_is_secure_behind_https(settings, db):
    _, a, _ = db
    https = replace(settings, web=replace(settings.web, base_url="https://oermonitor.school.nl"))
    cookie = client(https).get(f"/m/{token(a)}").headers["Set-Cookie"]
    assert "Secure" in cookie


# -- the colleague named when letting go -------------------------------------------------


def test_the_colleague_named_gets_a_link_to_take_it_on(settings, db, smtp, monkeypatch):
    store, a, _ = db
    monkeypatch.setenv("TEST_WEB_SECRET", SECRET)
    settings = replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=smtp.port),
                       web=replace(settings.web, base_url="http://127.0.0.1:9",
                                   secret_env="TEST_WEB_SECRET"))
    web = create_app(settings).test_client()
    anne = token(a)
    _, form = opened(web, anne)
    response = web.post(f"/m/{anne}/release", data={"csrf_token": form,
                                                     "colleague": "carla@school.nl"})
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "We vroegen carla@school.nl per e-mail" in page

    [offer] = smtp.to("carla@school.nl")
    assert offer["Subject"] == "Wil je het lesmateriaal 'Breuken oefenen' overnemen?"
    text = offer.get_body(("plain",)).get_content()
    assert "Anne de Vries beheerde tot nu toe" in text
    link = re.search(r"http://127\.0\.0\.1:9(/o/\S+)", text)[1]
    assert link in offer.get_body(("html",)).get_content()
    offer_token = link.split("/")[-1]
    assert web.get(f"/m/{offer_token}").status_code == 404  # never a maintainer's link

    carla = create_app(settings).test_client()  # another browser
    response = carla.get(link)
    assert response.status_code == 200
    assert "Wil je dit lesmateriaal beheren?" in response.get_data(as_text=True)
    assert store.material(a)["maintainer_email"] == "anne@school.nl"  # GET did nothing
    carla_form = csrf(response)
    response = carla.post(link + "/accept", data={"csrf_token": carla_form})
    assert response.status_code == 303
    own = carla.get(response.headers["Location"]).get_data(as_text=True)
    assert "Je beheert dit lesmateriaal nu" in own and ">Klopt nog</button>" in own
    material = store.material(a)
    assert material["maintainer_email"] == "carla@school.nl"
    assert material["unowned_since"] is None
    assert [e["kind"] for e in store.events(a)][:2] == ["reassign", "release"]
    assert len(smtp.to("carla@school.nl")) == 2  # the offer, then the welcome
    # Anne's link has ended; Carla's offer link, used again, changes nothing.
    assert web.get(f"/m/{anne}").status_code == 410
    assert carla.post(link + "/accept", data={"csrf_token": carla_form}).status_code == 303
    again = carla.get(link)  # the offer, opened again: on to her own page
    assert again.status_code == 303 and "/m/" in again.headers["Location"]
    assert len(store.events(a)) == 2
    # The coordinator's next summary: Anne let go, Carla took it on.
    notify.send_due(store, settings, utcnow().date(), utcnow())
    summary = smtp.to("co@school.nl")[0].get_body(("plain",)).get_content()
    assert "anne@school.nl: beheert dit niet meer en stelt carla@school.nl voor" in summary
    assert "carla@school.nl: nam het over van anne@school.nl" in summary


def test_an_offer_ends_once_someone_else_takes_the_material(settings, db):
    store, a, _ = db
    web = client(settings)
    _, form = opened(web, token(a))
    web.post(f"/m/{token(a)}/release", data={"csrf_token": form, "colleague": "carla@school.nl"})
    offer = links.make_token(SECRET, a, "carla@school.nl", now=utcnow(), days=60,
                             purpose=links.ACCEPT)
    assert web.get(f"/o/{offer}").status_code == 200
    dave = links.make_token(SECRET, a, "dave@school.nl", now=utcnow(), days=60,
                            purpose=links.ACCEPT)
    assert web.get(f"/o/{dave}").status_code == 410  # not the colleague Anne named
    from oermonitor import lifecycle
    lifecycle.reassign(store, store.material(a), to_email="erik@school.nl", by=None,
                       now=utcnow())
    response = web.get(f"/o/{offer}")
    assert response.status_code == 410
    assert "heeft inmiddels een beheerder" in response.get_data(as_text=True)
    assert web.post(f"/o/{offer}/accept", data={"csrf_token": form}).status_code == 410
    assert store.material(a)["maintainer_email"] == "erik@school.nl"


def test_after_letting_go_the_maintainer_is_not_mailed_about_it(settings, db, site, smtp):
    store, a, _ = db
    site.route("/breuken", status=404)
    for _ in range(2):
        job.check_one(store, settings, store.material(a))
    web = client(settings)
    _, form = opened(web, token(a))
    web.post(f"/m/{token(a)}/release", data={"csrf_token": form})
    mailing = replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=smtp.port))
    notify.send_due(store, mailing, utcnow().date(), utcnow())
    assert smtp.to("anne@school.nl") == [] and smtp.to("co@school.nl")


def test_a_link_cannot_make_us_hammer_a_site(settings, db, site):
    store, a, _ = db
    web = client(settings)
    tok = token(a)
    _, form = opened(web, tok)
    answers = []
    for n in range(12):
        # Each check counts as new (the previous one put a minute back), so each fetches.
        for check in store.checks(a):
            store.db["checks"].update(check["id"], {"checked_at": (
                utcnow() - timedelta(minutes=5)).isoformat(timespec="seconds")})
        action = "recheck" if n % 2 else "move"
        answers.append(web.post(f"/m/{tok}/{action}", data={
            "csrf_token": form, "new_url": site.url(f"/nowhere-{n}")}).status_code)
    assert answers[:10].count(429) == 0 and answers[10:] == [429, 429]
    assert site.hits("/breuken") == 5
    busy = web.post(f"/m/{tok}/recheck", data={"csrf_token": form})
    assert "Probeer het over een paar minuten opnieuw" in busy.get_data(as_text=True)
    # Another material's link is not held up.
    _, b_form = opened(web, token(db[2], "bram@school.nl"))
    assert web.post(f"/m/{token(db[2], 'bram@school.nl')}/recheck",
                    data={"csrf_token": b_form}).status_code == 303
