"""Wikiwijs: one identity per arrangement, recognition by host or canonical link, the colofon."""

from pathlib import Path

import pytest

from oermonitor.extract import platforms
from oermonitor.extract.page import Page
from oermonitor.extract.platforms import wikiwijs

PAGES = Path(__file__).parent / "pages"
ARRANGEMENT = (PAGES / "wikiwijs_arrangement.html").read_text()
LOOPBACK = "http://127.0.0.1:8765/171772"


@pytest.mark.parametrize("url", [
    "https://maken.wikiwijs.nl/171772/Breuken_en_procenten",
    "http://maken.wikiwijs.nl/171772/Breuken_en_procenten",
    "https://maken.wikiwijs.nl/171772/Breuken_en_procenten?template=simple",
    "https://maken.wikiwijs.nl/171772/Breuken_en_procenten#!page-3",
    "https://maken.wikiwijs.nl/171772/Oude_titel_van_het_arrangement",
    "https://maken.wikiwijs.nl/171772",
    "https://maken.wikiwijs.nl/171772/",
    "https://MAKEN.Wikiwijs.nl/arrangement/171772/export/imscp",
    "  https://maken.wikiwijs.nl/171772/Breuken  ",
])
def test_every_variant_of_an_arrangement_url_is_one_identity(url):
    assert platforms.identity(url) == "wikiwijs:171772"


@pytest.mark.parametrize("url", [
    "https://maken.wikiwijs.nl/bestanden/1018826/werkblad.pdf",
    "https://resources.wikiwijs.nl/file/8c1e7f0a-4b1d-4c6e-9d7a-2f3b4c5d6e7f",
    "https://wikiwijs.nl/",
    "https://example.org/171772/Breuken",
    "https://maken.wikiwijs.nl.example.com/171772/Breuken",
    "https://notwikiwijs.nl/171772",
    "not a url",
    "",
])
def test_urls_without_an_arrangement_have_no_identity(url):
    assert platforms.identity(url) is None


def recognise(html: str, url: str = LOOPBACK):
    return platforms.recognise(Page.parse(html, url, {}))


def test_loopback_page_is_recognised_by_its_canonical_link():
    found = recognise(ARRANGEMENT)
    assert found.name == "wikiwijs"
    assert found.platform_id == "wikiwijs:171772"
    assert found.title == "Breuken en procenten"
    # the sources table higher up has an "Auteur" column: the colofon's value wins
    assert found.author == "Sectie Wiskunde, Het Baken College"
    assert found.modified == "24 februari 2023 om 13:06"
    assert found.fields["webadres"] == "https://maken.wikiwijs.nl/171772/Breuken_en_procenten"
    assert found.fields["licentie"].startswith("Dit lesmateriaal is gepubliceerd onder de "
                                               "Creative Commons Naamsvermelding-GelijkDelen")


def test_recognised_by_og_url_alone():
    html = ('<html><head><meta property="og:url" content="https://maken.wikiwijs.nl/5512/Rente">'
            '<title>Rente - Wikiwijs Maken</title></head><body><p>Les</p></body></html>')
    found = recognise(html)
    assert (found.platform_id, found.title) == ("wikiwijs:5512", "Rente")


def test_recognised_by_host_without_any_link():
    found = recognise("<title>Rente | Wikiwijs</title><h1>Rente</h1>",
                      "https://maken.wikiwijs.nl/5512/Rente?template=simple#!page-2")
    assert (found.name, found.platform_id, found.title) == ("wikiwijs", "wikiwijs:5512", "Rente")


def test_other_loopback_pages_are_not_wikiwijs():
    html = ARRANGEMENT.replace("maken.wikiwijs.nl/171772", "example.org/171772")
    assert recognise(html) is None
    assert recognise("<title>Wikiwijs</title><p>Over Wikiwijs</p>") is None


def test_identity_from_webadres_when_the_canonical_link_names_no_arrangement():
    html = ARRANGEMENT.replace('href="https://maken.wikiwijs.nl/171772/Breuken_en_procenten"',
                               'href="https://maken.wikiwijs.nl/"').replace(
        'content="https://maken.wikiwijs.nl/171772/Breuken_en_procenten"',
        'content="https://maken.wikiwijs.nl/"')
    assert recognise(html).platform_id == "wikiwijs:171772"


COLOFON_SHAPES = {
    "dl": """<h2>Colofon</h2><dl><dt>Auteurs</dt><dd>A. Bakker, B. Claes</dd>
             <dt>Laatst gewijzigd</dt><dd>3 jan. 2025</dd>
             <dt>Licentie</dt><dd>CC Naamsvermelding 4.0 Internationale licentie</dd>
             <dt>Webadres</dt><dd>https://maken.wikiwijs.nl/9001/Kansrekenen</dd></dl>""",
    "spans": """<div class="colofon"><h3>Over dit lesmateriaal</h3>
             <div><span class="label">Auteurs</span><span class="value">A. Bakker, B. Claes</span></div>
             <div><span class="label">Laatst gewijzigd</span><span class="value">3 jan. 2025</span></div>
             <div><span class="label">Licentie</span><span class="value">CC Naamsvermelding 4.0 Internationale licentie</span></div>
             <div><span class="label">Webadres</span><span class="value">https://maken.wikiwijs.nl/9001/Kansrekenen</span></div></div>""",
    "lines": """<h2>Colofon</h2><p>Auteurs: A. Bakker, B. Claes<br>
             Laatst gewijzigd: 3 jan. 2025<br>
             Licentie: CC Naamsvermelding 4.0 Internationale licentie<br>
             Webadres: https://maken.wikiwijs.nl/9001/Kansrekenen</p>""",
    "strong": """<h2>Colofon</h2><p><strong>Auteurs</strong> <a href="#">A. Bakker</a>, <a href="#">B. Claes</a></p>
             <p><strong>Laatst gewijzigd</strong> 3 jan. 2025</p>
             <p><strong>Licentie</strong> CC Naamsvermelding 4.0 Internationale licentie</p>
             <p><strong>Webadres</strong> https://maken.wikiwijs.nl/9001/Kansrekenen</p>""",
    "cells": """<h2>Colofon</h2><table><tr><td><b>Auteurs</b></td><td>A. Bakker, B. Claes</td></tr>
             <tr><td><b>Laatst gewijzigd</b></td><td>3 jan. 2025</td></tr>
             <tr><td><b>Licentie</b></td><td>CC Naamsvermelding 4.0 Internationale licentie</td></tr>
             <tr><td><b>Webadres</b></td><td>https://maken.wikiwijs.nl/9001/Kansrekenen</td></tr></table>""",
}


@pytest.mark.parametrize("shape", sorted(COLOFON_SHAPES))
def test_colofon_in_every_shape(shape):
    html = (f"<html><head><title>Kansrekenen - Wikiwijs Maken</title></head><body>"
            f"<h1>Kansrekenen</h1><p>Les.</p>{COLOFON_SHAPES[shape]}</body></html>")
    found = recognise(html, "https://maken.wikiwijs.nl/9001/Kansrekenen")
    assert found.author == "A. Bakker, B. Claes"
    assert found.modified == "3 jan. 2025"
    assert found.fields["licentie"] == "CC Naamsvermelding 4.0 Internationale licentie"
    assert found.fields["webadres"] == "https://maken.wikiwijs.nl/9001/Kansrekenen"
    assert found.title == "Kansrekenen"


def test_colofon_heading_in_the_menu_does_not_hide_the_colofon():
    html = ('<nav><a href="#!page-9">Over dit lesmateriaal</a></nav><main><p>Les</p>'
            '<table><tr><th>Bron</th><th>Auteur</th></tr><tr><td>Foto</td><td>Fotograaf</td></tr>'
            '</table><h2>Over dit lesmateriaal</h2><table><tr><th>Auteur</th><td>Juf Ans</td></tr>'
            '</table></main><footer><a href="/colofon">Colofon</a></footer>')
    assert recognise(html, "https://maken.wikiwijs.nl/77/Les").author == "Juf Ans"


def test_the_word_licentie_in_running_text_is_not_a_field():
    html = ("<h2>Colofon</h2><p>Licentie van de afbeeldingen staat bij elke afbeelding.</p>"
            "<p>Licentie: CC BY 4.0</p>")
    assert recognise(html, "https://maken.wikiwijs.nl/77/Les").fields["licentie"] == "CC BY 4.0"


@pytest.mark.parametrize("head, expected", [
    ('<meta property="og:title" content="Rente - Wikiwijs Maken"><title>X</title>', "Rente"),
    ("<title>Rente - Wikiwijs Maken</title>", "Rente"),
    ("<title>Rente en korting - deel 2 | Wikiwijs</title>", "Rente en korting - deel 2"),
])
def test_title_without_site_suffix(head, expected):
    html = f"<html><head>{head}</head><body><p>Les</p></body></html>"
    assert recognise(html, "https://maken.wikiwijs.nl/5512/Rente").title == expected


def test_colofon_sentence_names_the_title():
    html = ('<title>Wikiwijs Maken</title><h2>Colofon</h2><p>Het arrangement <b>Rente &amp; '
            'korting</b> is gemaakt met Wikiwijs van Kennisnet.</p>')
    assert recognise(html, "https://maken.wikiwijs.nl/5512/Rente").title == "Rente & korting"


def test_generic_title_strips_the_site_name_and_skips_a_header_h1():
    html = ('<html><head><meta property="og:site_name" content="Biologie Open">'
            "<title>Fotosynthese | Biologie Open</title></head>"
            "<body><header><h1>Biologie Open</h1></header><main><h1>Fotosynthese</h1></main>"
            "</body></html>")
    page = Page.parse(html, "https://biologie-open.example.org/fotosynthese", {})
    assert platforms.generic_title(page) == "Fotosynthese"
    no_h1 = html.replace("<main><h1>Fotosynthese</h1></main>", "")
    assert platforms.generic_title(Page.parse(no_h1, "https://x.example/", {})) == "Fotosynthese"
    assert platforms.generic_title(Page.parse("<p>x</p>", "https://x.example/", {})) is None


def test_wikiwijs_module_is_the_registered_platform():
    assert wikiwijs in platforms.PLATFORMS
