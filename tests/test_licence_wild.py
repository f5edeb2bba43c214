"""Licence detection on realistic pages: credits, mentions, site-wide grants, odd spellings.

The pages are written for these tests in the shapes that blogs, school sites,
wikis and German educational portals use. What they check: a credit line, a
caption, a teaser, a newsletter box or a licence named while explaining licences
is not the page's licence; a statement for the whole site is reported with scope
"site"; odd but real ways of writing a licence are still read.
"""

import pytest

from oermonitor.extract.licence import detect
from oermonitor.extract.page import Page


def licence(html: str, url: str = "https://les.example.nl/breuken"):
    result = detect(Page.parse(html, url))
    return result.id, result.scope


def in_main(content: str, footer: str = "") -> str:
    return ("<html><head><title>Les</title></head><body><header class='site-header'>"
            "<a href='/'>Start</a></header><main><article><h1>Breuken</h1>"
            f"<p>Uitleg over breuken.</p>{content}</article></main>"
            f"<footer class='site-footer'>{footer}</footer></body></html>")


# --- credits, captions, teasers and boxes are components -------------------------------

@pytest.mark.parametrize("credit", [
    "<p>Bild: Hans Müller, CC BY-SA 3.0</p>",
    "<p>Bildnachweis: pixabay.com / CC0</p>",
    "<p>Photo by Jane Doe on Flickr (CC BY 2.0)</p>",
    "<p>Image: Wikimedia Commons, CC BY-SA 4.0</p>",
    "<p>Afbeelding van de getallenlijn door Piet, CC BY 4.0</p>",
    "<p>Illustratie: Sanne, CC BY-NC 4.0</p>",
    "<p>Musik: 'Morning' von Kevin, CC BY 3.0</p>",
    "<p>Music: Ambient Loop by K. (CC BY 4.0)</p>",
    "<p>Muziek: Lente, CC BY-SA 4.0</p>",
    "<h3>Credits</h3><p>Openingsmuziek CC BY 4.0, icoontjes CC BY-SA 4.0</p>",
    "<h3>Bildnachweise</h3><ul><li>Titelbild CC BY-SA 4.0</li></ul>",
    '<span class="credit-desc">Grafiek door CBS, CC BY 4.0</span>',
    '<div class="isc-source-text">Quelle: Jan / <a href="https://creativecommons.org/licenses/'
    'by-sa/2.0/de/">CC BY-SA 2.0 DE</a></div>',
    '<p class="wp-caption-text">Zonnestelsel, NASA, publiek domein</p>',
])
def test_credits_and_captions_are_not_the_page_licence(credit):
    assert licence(in_main(credit)) == (None, None)


def test_teasers_newsletter_and_comments_are_not_the_page_licence():
    html = in_main("""
      <section class="related-posts"><h2>Ook interessant</h2>
        <article><h3>Procenten</h3><p>Deze les valt onder CC BY-NC 4.0.</p></article></section>
      <div class="newsletter-signup"><p>Schrijf je in! Onze nieuwsbrief is CC BY 4.0.</p></div>
      <ol class="comment-list"><li class="comment">Ik gebruik het onder CC BY-SA: top!</li></ol>""")
    assert licence(html) == (None, None)


def test_the_material_licence_beside_credits_and_teasers_is_found():
    html = in_main("""<p>Foto: Jan (CC BY-NC 2.0)</p>
      <p>Dit lesmateriaal valt onder een Creative Commons Naamsvermelding 4.0
      Internationaal-licentie.</p>
      <aside class="teaser"><p>Licentie: CC BY-ND 4.0</p></aside>""")
    result = detect(Page.parse(html, "https://x.nl/les"))
    assert (result.id, result.scope, result.all_ids) == ("CC-BY-4.0", "material", ["CC-BY-4.0"])


# --- mentions in running text are not grants ---------------------------------------------

ARTICLE_ABOUT_LICENCES = in_main("""
  <p>Wer ein Foto unter einer freien Lizenz verwenden möchte, sollte sich die Bedingungen
  der gewählten Lizenzversion im Detail (CC BY-ND 2.0) genau ansehen, denn Bearbeitungen
  sind dann nicht erlaubt.</p>
  <p>Bij een werk met <a href="https://creativecommons.org/licenses/by-nc/4.0/deed.nl">CC
  BY-NC</a> mag je het materiaal niet commercieel gebruiken, ook niet op een betaalde
  website van je school.</p>""")


def test_licences_named_while_explaining_licences_are_no_grant():
    assert licence(ARTICLE_ABOUT_LICENCES) == (None, None)


@pytest.mark.parametrize("statement, expected", [
    ("<p>Die Inhalte dieser Seite stehen, soweit nicht anders vermerkt, unter der Lizenz "
     "CC BY-SA 4.0.</p>", "CC-BY-SA-4.0"),
    ("<p>This lesson plan by Ms. Smith is licensed under a Creative Commons Attribution-"
     "ShareAlike License 4.0, so you may adapt it for your class.</p>", "CC-BY-SA-4.0"),
    ("<p>Dit werk valt onder een <a href='https://creativecommons.org/licenses/by/4.0/deed.nl'>"
     "Creative Commons Naamsvermelding 4.0 Internationaal-licentie</a>.</p>", "CC-BY-4.0"),
    ("<p>Licentie: CC BY-NC-SA</p>", "CC-BY-NC-SA"),
    ("<p>Op dit werk rust een Creative Commons Naamsvermelding-GelijkDelen 4.0 licentie. Dat "
     "betekent dat je het mag aanpassen.</p>", "CC-BY-SA-4.0"),
    ("<p>Der Text steht unter CC BY-SA 4.0 und darf mit Namensnennung weitergegeben "
     "werden.</p>", "CC-BY-SA-4.0"),
    ("<p>Voor de opdrachten in deze module is de licentie CC BY 4.0 van toepassing.</p>",
     "CC-BY-4.0"),
    ("<p><a href='https://creativecommons.org/licenses/by-sa/4.0/'>"
     "<img src='/img/cc-by-sa.png' alt=''></a> Lesbrief Breuken van Sectie Wiskunde</p>",
     "CC-BY-SA-4.0"),
])
def test_grants_in_a_sentence_or_a_licence_line(statement, expected):
    assert licence(in_main(statement))[0] == expected


# --- site-wide grants --------------------------------------------------------------------

@pytest.mark.parametrize("statement, expected", [
    ("Tenzij anders vermeld wordt het materiaal op deze website beschikbaar gesteld onder "
     "CC BY 4.0.", "CC-BY-4.0"),
    ("Except where otherwise noted, the content of this site is licensed under a "
     "<a href='https://creativecommons.org/licenses/by-sa/4.0/'>Creative Commons "
     "Attribution-ShareAlike 4.0 International License</a>.", "CC-BY-SA-4.0"),
    ("Sofern nicht anders angegeben, stehen die Inhalte unter der Lizenz CC BY 4.0.",
     "CC-BY-4.0"),
])
def test_site_wide_grant_in_the_footer_is_a_site_licence(statement, expected):
    assert licence(in_main("", footer=f"<p>{statement}</p>")) == (expected, "site")


def test_site_wide_grant_in_the_content_is_still_a_site_licence():
    html = in_main("<p>Tenzij anders vermeld, is alle inhoud van deze website beschikbaar "
                   "onder een CC BY-SA 4.0 licentie.</p>")
    assert licence(html) == ("CC-BY-SA-4.0", "site")


def test_material_licence_beats_a_site_wide_grant():
    html = in_main("<p>Licentie: CC BY-NC 4.0</p>",
                   footer="<p>Except where otherwise noted, content on this site is licensed "
                          "under CC BY 4.0.</p>")
    assert licence(html) == ("CC-BY-NC-4.0", "material")


# --- odd but real spellings ---------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    ('<p>Licentie: <a href="https://web.archive.org/web/20110312084400/http://creativecommons.org'
     '/licenses/by-sa/3.0/nl/">CC BY-SA 3.0 NL</a></p>', "CC-BY-SA-3.0-NL"),
    ('<p><a rel="license" href="http://web.archive.org/web/2009/http://creativecommons.org/'
     'licenses/nc/1.0/nl/">Some rights reserved</a></p>', "CC-NC-1.0-NL"),
    ('<p><a rel="license" href="https://creativecommons.org/licenses/nc-sa/2.0/jp/">'
     '<img src="https://i.creativecommons.org/l/nc-sa/2.0/jp/88x31.png"></a></p>',
     "CC-NC-SA-2.0-JP"),
    ("<p>Licensed under the Attribution-ShareAlike License 4.0.</p>", "CC-BY-SA-4.0"),
    ("<p>Lizenz: Namensnennung - Weitergabe unter gleichen Bedingungen 4.0 International</p>",
     "CC-BY-SA-4.0"),
    ("<p>© 2021 Dr. K. Weber – Alle Rechte beim Autor</p>", "all-rights-reserved"),
    ("<p>Copyright 2019 Stichting Leren. Alle rechten zijn voorbehouden.</p>",
     "all-rights-reserved"),
])
def test_odd_spellings(content, expected):
    assert licence(in_main(content)) == (expected, "material")


# --- layout wrappers ------------------------------------------------------------------------

def test_licence_inside_a_layout_wrapper_named_after_the_sidebar_is_the_materials():
    html = ('<html><body class="has-sidebar"><div class="site-inner"><div class="content-sidebar-wrap">'
            '<main class="content"><article><h1>Les</h1><p>Licentie: CC BY 4.0</p></article></main>'
            '<aside class="sidebar"><p>Licentie: CC BY-NC 4.0</p></aside></div></div></body></html>')
    result = detect(Page.parse(html, "https://x.nl/les"))
    assert (result.id, result.scope, result.all_ids) == ("CC-BY-4.0", "material", ["CC-BY-4.0"])


def test_a_licence_field_value_is_a_grant_however_many_words_it_has():
    html = in_main("<table><tr><th>Auteur</th><td>Sectie Wiskunde</td></tr><tr><th>Licentie</th>"
                   "<td>CC BY-SA 4.0, Stichting Wiskundelessen en de auteurs van dit materiaal"
                   "</td></tr></table>")
    assert licence(html) == ("CC-BY-SA-4.0", "material")


def test_class_words_count_at_the_start_of_a_class_word_only():
    html = in_main('<div class="table-responsive unrelated-widths accreditation">'
                   "<p>Licentie: CC BY 4.0</p></div>")
    assert licence(html) == ("CC-BY-4.0", "material")


def test_a_materials_own_caveat_is_not_a_site_wide_grant():
    html = in_main("<p>Dit lesmateriaal is, tenzij anders vermeld bij de afbeeldingen, "
                   "beschikbaar onder CC BY 4.0.</p>")
    assert licence(html) == ("CC-BY-4.0", "material")


def test_mediawiki_dutch_footer_names_with_a_slash():
    html = in_main("", footer="<p>De tekst is beschikbaar onder de licentie "
                              "Creative Commons Naamsvermelding/Gelijk delen 4.0, "
                              "er kunnen aanvullende voorwaarden van toepassing zijn.</p>")
    result = detect(Page.parse(html, "https://wiki.example.nl/Breuken"))
    assert (result.id, result.scope, result.conflict) == ("CC-BY-SA-4.0", "site", False)


def test_odd_json_ld_types_lose_no_other_signal():
    html = ('<html><head><script type="application/ld+json">{"@type": {"name": "Article"}, '
            '"license": "https://creativecommons.org/licenses/by-nc/4.0/"}</script>'
            '<script type="application/ld+json">{"@type": [{"x": 1}, "Course"], '
            '"license": "https://creativecommons.org/licenses/by/4.0/"}</script>'
            '</head><body><main><p>Licentie: CC BY 4.0</p></main></body></html>')
    result = detect(Page.parse(html, "https://x.nl/les"))
    assert (result.id, result.signal) == ("CC-BY-NC-4.0", "jsonld")
    assert set(result.all_ids) == {"CC-BY-NC-4.0", "CC-BY-4.0"}
