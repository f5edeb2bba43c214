"""Content fingerprint: blind to tokens, clocks, counters and chrome; sensitive to the material."""

from pathlib import Path

import pytest

from oermonitor.extract import fingerprint
from oermonitor.extract.page import Page

PAGES = Path(__file__).parent / "pages"
WIKIWIJS = (PAGES / "wikiwijs_arrangement.html").read_text()
ARTICLE = (PAGES / "generic_article.html").read_text()
TOKEN = "f3a9c2d17b0e4a8f9c6d5e4b3a2f1e0d9c8b7a6f"


def digest(html: str) -> str:
    return fingerprint.content_hash(Page.parse(html, "http://127.0.0.1/171772", {}))


def test_hash_is_sha256_hex_and_deterministic():
    assert len(digest(WIKIWIJS)) == 64
    assert digest(WIKIWIJS) == digest(WIKIWIJS)


@pytest.mark.parametrize("old, new", [
    (TOKEN, "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),  # CSRF token (meta and form)
    ('"9b8c7d6e5f4a3b2c1d0e"', '"ffffeeeeddddccccbbbb"'),  # session token in scripts
    ('<span class="clock">08:14</span>', '<span class="clock">23:59</span>'),  # header clock
    ('<span class="view-count">4212</span>', '<span class="view-count">4213</span>'),
    ("Pagina gegenereerd op 13-01-2025 08:14:55", "Pagina gegenereerd op 14-01-2025 02:00:01"),
    ("<h2>Populair</h2>", "<h2>Nu populair</h2>"),  # sidebar
    ("Wikiwijs gebruikt cookies.", "Wikiwijs gebruikt cookies en pixels."),  # cookie notice
    ('<a href="/login">Inloggen</a>', '<a href="/logout">Uitloggen</a>'),  # user menu
    ('<li><a href="#!page-13">Over dit lesmateriaal</a></li>', ""),  # navigation
    ("thumbnail.png", "thumbnail-2.png"),  # head metadata
    (".png?v=3", ".png?v=4"),  # cache-busting query on images
    ("?utm_source=wikiwijs", "?utm_source=nieuwsbrief"),  # tracking parameters on links
    ("<p>", "<p>\n   "),  # re-indented markup
])
def test_dynamic_parts_and_chrome_do_not_change_the_hash(old, new):
    assert old in WIKIWIJS
    assert digest(WIKIWIJS.replace(old, new)) == digest(WIKIWIJS)


@pytest.mark.parametrize("old, new", [
    ("Je werkt in je eigen tempo", "Je werkt samen"),  # a sentence of the material
    ("Opgave 1.1: reken 72%", "Opgave 1.1: reken 73%"),  # one number in an exercise
    ("24 februari 2023 om 13:06", "2 maart 2024 om 09:00"),  # colofon date
    ("Sectie Wiskunde, Het Baken College", "Sectie Rekenen, Het Baken College"),
    ("1018826/breuken.png", "1018826/breuken-nieuw.png"),  # an image replaced
    ('alt="Schema bij breuken"', 'alt="Nieuw schema bij breuken"'),
    ("https://www.rekenweb.nl/procenten", "https://www.rekenweb.nl/procenten-uitleg"),  # link fixed
])
def test_changes_to_the_material_change_the_hash(old, new):
    assert old in WIKIWIJS
    assert digest(WIKIWIJS.replace(old, new, 1)) != digest(WIKIWIJS)


def test_content_text_holds_the_material_and_not_the_chrome():
    text = fingerprint.content_text(Page.parse(WIKIWIJS, "http://127.0.0.1/", {}))
    assert "Breuken en procenten" in text and "Opgave 12.5" in text
    assert "Laatst gewijzigd 24 februari 2023 om 13:06" in text
    for chrome in ("Inloggen", "4212", "08:14", "Zoeken", "cookies", "Kennisnet. Colofon",
                   TOKEN, "Populair", "Inhoud"):
        assert chrome not in text


def test_generic_article_without_main_uses_the_single_article():
    base = digest(ARTICLE)
    assert digest(ARTICLE.replace("1733</span>", "1734</span>")) == base  # sidebar counter
    assert digest(ARTICLE.replace("Home</a> ›", "Start</a> ›")) == base  # breadcrumbs
    assert digest(ARTICLE.replace("itok=Xa81kLp2", "itok=Qq19zzP0")) == base  # image token
    assert digest(ARTICLE.replace("De plant gebruikt", "Een plant gebruikt")) != base


def test_body_without_landmarks_drops_marked_chrome_and_hidden_parts():
    page = ('<body><div id="menu">Home {0}</div><div class="content"><p>Les over breuken.</p>'
            '<div hidden>{0}</div><div style="display: none">{0}</div>'
            '<span aria-hidden="true">{0}</span><div role="navigation">{0}</div>'
            '<form><input type="hidden" name="csrf" value="{0}"></form></div></body>')
    assert digest(page.format("a")) == digest(page.format("b"))
    assert digest(page.format("a")) != digest(page.format("a").replace("breuken", "procenten"))


def test_token_like_words_in_the_text_are_ignored_but_long_words_are_not():
    page = "<main><p>Les {0}</p></main>"
    assert digest(page.format("sessie 8f3a9c2d17b0e4a8f9c6d5e4")) == digest(
        page.format("sessie 0000aaaa1111bbbb2222cccc3333"))
    assert digest(page.format("arbeidsongeschiktheidsverzekering")) != digest(
        page.format("arbeidsongeschiktheidsuitkering"))


def test_empty_page_has_a_stable_hash():
    assert digest("") == digest("<html><body></body></html>") == digest("   ")


def test_bytes_hash():
    assert fingerprint.bytes_hash(b"%PDF-1.7 a") == fingerprint.bytes_hash(b"%PDF-1.7 a")
    assert fingerprint.bytes_hash(b"%PDF-1.7 a") != fingerprint.bytes_hash(b"%PDF-1.7 b")
    assert len(fingerprint.bytes_hash(b"")) == 64


def _bare_url_as_parsed(url: str) -> str:
    """What `_bare_url` must give: the URL as urlsplit reads it, query and fragment dropped."""
    from contextlib import suppress
    from urllib.parse import urlsplit

    with suppress(ValueError):
        url = urlsplit(url.strip())._replace(query="", fragment="").geturl().split(";", 1)[0]
    return url


_URL_STARTS = ("", "/", "//", "///", "https://", "http://", "HTTPS://", "ftp://", "mailto:",
               "data:", "javascript:", " https://", "\thttps://", "x:")
_URL_HOSTS = ("", "example.org", "EXAMPLE.org", "example.org:8080", "user@example.org",
              "[::1]", "[bad", "exa mple.org", "münchen.de")
_URL_PATHS = ("", "/", "/a/b.png", "a/b", "/a;x=1/b", "/a:b", "/a b", "/a\tb", "/a\\b",
              "/a/../b", "/ä.png")
_URL_ENDS = ("", "?q=1", "#frag", "?q#f", ";jsessionid=1", "?", "#", " ", "\n")


@pytest.mark.parametrize("start", _URL_STARTS)
def test_bare_url_is_the_url_as_urlsplit_reads_it(start):
    for host in _URL_HOSTS:
        for path in _URL_PATHS:
            for end in _URL_ENDS:
                url = start + host + path + end
                assert fingerprint._bare_url(url) == _bare_url_as_parsed(url), url
