"""Signed per-material links: scoped to one material and its maintainer, expiring, and
carried by every maintainer email (text and HTML buttons) once [web] is set up."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from oermonitor import links
from oermonitor.links import LinkError
from oermonitor.notify import Digest, DigestItem, render
from oermonitor.settings import Settings, WebSettings
from oermonitor.store import Store
from tests.support import add_material

SECRET = "correct-horse-battery-staple-42"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def add(store: Store, n: int, maintainer: str) -> int:
    return add_material(store, n, maintainer, now=NOW, end="2025-07-31",
                        coordinator="co@school.nl")


def test_a_token_names_its_material_and_resolves_for_its_maintainer(store):
    a = add(store, 1, "anne@school.nl")
    token = links.make_token(SECRET, a, "Anne@School.nl", now=NOW, days=60)
    assert "anne" not in token.lower()  # the address never appears in a URL
    assert links.resolve(store, SECRET, token, now=NOW + timedelta(days=59))["id"] == a


def test_a_link_expires_after_its_days(store):
    a = add(store, 1, "anne@school.nl")
    token = links.make_token(SECRET, a, "anne@school.nl", now=NOW, days=60)
    with pytest.raises(LinkError) as caught:
        links.resolve(store, SECRET, token, now=NOW + timedelta(days=60))
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("spoil", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
    lambda t: "eyJtIjoyfQ" + t[t.index("."):],  # another payload, the old signature
    lambda t: t.split(".")[0],  # no signature at all
    lambda t: "",
])
def test_a_tampered_link_is_invalid(store, spoil):
    a = add(store, 1, "anne@school.nl")
    token = links.make_token(SECRET, a, "anne@school.nl", now=NOW, days=60)
    with pytest.raises(LinkError) as caught:
        links.resolve(store, SECRET, spoil(token), now=NOW)
    assert caught.value.reason == "invalid"


def test_another_secret_makes_the_link_invalid(store):
    a = add(store, 1, "anne@school.nl")
    token = links.make_token("another-secret-of-some-length", a, "anne@school.nl",
                             now=NOW, days=60)
    with pytest.raises(LinkError, match="invalid"):
        links.resolve(store, SECRET, token, now=NOW)


def test_reassigning_the_material_ends_the_old_maintainers_link(store):
    a = add(store, 1, "anne@school.nl")
    token = links.make_token(SECRET, a, "anne@school.nl", now=NOW, days=60)
    bram, _ = store.ensure_maintainer("bram@school.nl", None, NOW)
    store.update_material(a, {"maintainer_id": bram})
    with pytest.raises(LinkError) as caught:
        links.resolve(store, SECRET, token, now=NOW)
    assert caught.value.reason == "reassigned"


def test_a_link_for_a_material_that_no_longer_exists_is_gone(store):
    token = links.make_token(SECRET, 999, "anne@school.nl", now=NOW, days=60)
    with pytest.raises(LinkError, match="gone"):
        links.resolve(store, SECRET, token, now=NOW)


# -- in the emails ----------------------------------------------------------------------


def digest(*ids: int) -> Digest:
    return Digest("anne@school.nl", "maintainer", [DigestItem(
        material_id=n, problem="broken", kind="new", title=f"Les {n}",
        url=f"https://maken.wikiwijs.nl/{n}/Les", pilot="Rekenen", availability="missing",
        maintainer_email="anne@school.nl") for n in ids])


def web(base_url: str = "https://oermonitor.school.nl", language: str = "nl") -> Settings:
    return Settings(language=language, web=WebSettings(base_url=base_url,
                                                       secret_env="TEST_OERMONITOR_SECRET"))


@pytest.mark.parametrize("language, words", [
    ("nl", ["Klopt nog", "Ik heb het aangepast", "Het staat nu op een ander adres",
            "Ik beheer dit niet meer"]),
    ("en", ["Still correct", "I have fixed it", "It is now at another address",
            "I no longer maintain this"]),
])
def test_each_material_gets_its_own_links_in_text_and_as_html_buttons(
        store, monkeypatch, language, words):
    monkeypatch.setenv("TEST_OERMONITOR_SECRET", SECRET)
    a, b = add(store, 1, "anne@school.nl"), add(store, 2, "anne@school.nl")
    _, text, html = render(digest(a, b), web(language=language), NOW.date(), NOW)
    found = re.findall(r"https://oermonitor\.school\.nl/m/([\w.-]+)\?do=(\w+)", text)
    assert [action for _, action in found] == list(links.ACTIONS) * 2
    tokens = [token for token, _ in found]
    assert len(set(tokens[:4])) == 1 and len(set(tokens[4:])) == 1
    assert [links.resolve(store, SECRET, t, now=NOW)["id"] for t in (tokens[0], tokens[4])] \
        == [a, b]
    for word in words:
        assert text.count(word) == 2 and html.count(f">{word}</a>") == 2
    # Buttons as mail clients draw them: a table cell with inline styles around the link.
    assert html.count('<table role="presentation"') == 8
    assert all(f'href="https://oermonitor.school.nl/m/{t}?do=' in html for t in tokens)


def test_no_links_without_a_base_url_or_without_the_secret(store, monkeypatch):
    a = add(store, 1, "anne@school.nl")
    monkeypatch.setenv("TEST_OERMONITOR_SECRET", SECRET)
    for settings in (web(base_url=""), Settings()):
        _, text, html = render(digest(a), settings, NOW.date(), NOW)
        assert "/m/" not in text and "/m/" not in html and "Klopt nog" not in text
    for unusable in ("", "too-short"):  # unset, or too short to be a secret
        monkeypatch.setenv("TEST_OERMONITOR_SECRET", unusable)
        _, text, html = render(digest(a), web(), NOW.date(), NOW)
        assert "/m/" not in text and "presentation" not in html


def test_a_base_url_with_a_path_keeps_it(store, monkeypatch):
    monkeypatch.setenv("TEST_OERMONITOR_SECRET", SECRET)
    a = add(store, 1, "anne@school.nl")
    made = links.material_links(web("https://www.school.nl/oermonitor"), a, "anne@school.nl",
                                now=NOW)
    assert made["confirm"].startswith("https://www.school.nl/oermonitor/m/")


def test_the_likely_answer_is_the_prominent_button(store, monkeypatch):
    monkeypatch.setenv("TEST_OERMONITOR_SECRET", SECRET)
    a = add(store, 1, "anne@school.nl")
    broken = digest(a)
    stale = Digest("anne@school.nl", "maintainer", [DigestItem(
        material_id=a, problem="stale", kind="new", title="Les 1", url="https://x.nl/1",
        pilot="Rekenen", maintainer_email="anne@school.nl")])
    for mail, primary in ((broken, "Ik heb het aangepast"), (stale, "Klopt nog")):
        html = render(mail, web(), NOW.date(), NOW)[2]
        assert re.findall(r'bgcolor="#0b5cad".*?>([^<>]+)</a>', html) == [primary]
