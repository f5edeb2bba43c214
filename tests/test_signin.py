"""Sign-in links as a library: who may sign in, single use, expiry, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oermonitor import signin
from oermonitor.settings import Settings, WebSettings
from oermonitor.store import Store

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SETTINGS = Settings(web=WebSettings(admins=("boss@school.nl",)))


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "oermonitor.db") as s:
        s.ensure_pilot("Rekenen", None, "anna@school.nl", NOW)
        s.ensure_pilot("Taal", None, "Bob@School.nl", NOW)
        yield s


def ask(store, email, client="192.0.2.1", now=NOW):
    return signin.request_link(store, SETTINGS, signin.normalise(email), client=client, now=now)


def test_coordinators_and_admins_get_a_link_others_do_not(store):
    assert ask(store, "anna@school.nl").token
    assert ask(store, "BOB@school.nl").token  # the registry's capitals do not matter
    assert ask(store, "boss@school.nl").token
    unknown = ask(store, "eve@example.org")
    assert unknown.token is None and not unknown.limited
    assert signin.access(store, SETTINGS, "anna@school.nl").pilots == ("Rekenen",)
    boss = signin.access(store, SETTINGS, "boss@school.nl")
    assert boss.admin and boss.pilots == ("Rekenen", "Taal")
    assert signin.access(store, SETTINGS, "eve@example.org") is None
    assert signin.normalise("not an address") is None


def test_a_link_works_once_and_only_for_fifteen_minutes(store):
    token = ask(store, "anna@school.nl").token
    assert signin.redeem(store, token, NOW + timedelta(minutes=14)) == ("ok", "anna@school.nl")
    assert signin.redeem(store, token, NOW + timedelta(minutes=14)) == ("used", None)
    late = ask(store, "anna@school.nl").token
    assert signin.redeem(store, late, NOW + timedelta(minutes=15)) == ("expired", None)
    assert signin.redeem(store, late + "x", NOW) == ("unknown", None)
    assert signin.redeem(store, "", NOW) == ("unknown", None)


def test_only_a_hash_of_the_token_is_stored(store):
    token = ask(store, "anna@school.nl").token
    rows = list(store.db["signin_links"].rows)
    assert token not in repr(rows) and rows[0]["token_hash"]


def test_rate_limited_per_address_and_per_client_known_or_not(store):
    for _ in range(signin.PER_ADDRESS):
        assert not ask(store, "anna@school.nl").limited
        assert not ask(store, "eve@example.org", client="192.0.2.2").limited
    assert ask(store, "anna@school.nl", client="192.0.2.9").limited
    assert ask(store, "eve@example.org", client="192.0.2.9").limited
    later = NOW + signin.WINDOW + timedelta(seconds=1)
    assert ask(store, "anna@school.nl", now=later).token

    for n in range(signin.PER_CLIENT):
        assert not ask(store, f"x{n}@example.org", client="198.51.100.7").limited
    assert ask(store, "anna@school.nl", client="198.51.100.7").limited


def test_the_mail_carries_the_link(store):
    msg = signin.compose(SETTINGS, "anna@school.nl", "https://oer.school.nl/signin/abc", NOW)
    assert msg["To"] == "anna@school.nl"
    body = msg.get_content()
    assert "https://oer.school.nl/signin/abc" in body and "15 minuten" in body
