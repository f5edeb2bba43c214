"""Licence detection on whole pages (oermonitor.extract.licence) and page zones.

The pages below are shaped like the ones the monitor meets: Wikiwijs colofons in
their several layouts, WordPress with the CC chooser snippet, JSON-LD graphs,
footers and figure credits. (The public case table runs in test_licences.py.)
"""

from pathlib import Path

import pytest

from oermonitor.extract import extract
from oermonitor.extract.licence import detect
from oermonitor.extract.page import Page
from oermonitor.models import FetchResult

PAGES = Path(__file__).parent / "pages"

WIKIWIJS_HEAD = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>Breuken - Wikiwijs Maken</title>
<link rel="canonical" href="https://maken.wikiwijs.nl/171772/Breuken"></head><body>
<header class="site-header"><a href="https://wikiwijs.nl/">Wikiwijs</a></header>
<nav class="arrangement-menu"><ul><li><a href="#!page-1">Breuken</a></li></ul></nav>
<main id="content"><h1>Breuken</h1><p>Uitleg over breuken en procenten.</p>"""
WIKIWIJS_FOOT = """</main><footer class="site-footer"><p>Wikiwijs is een dienst van Kennisnet.
<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a></p></footer></body></html>"""


def wikiwijs(colofon: str) -> Page:
    return Page.parse(WIKIWIJS_HEAD + colofon + WIKIWIJS_FOOT,
                      "https://maken.wikiwijs.nl/171772/Breuken")


def test_wikiwijs_colofon_table_with_sentence_link_and_button():
    page = wikiwijs("""<h2>Over dit lesmateriaal</h2><h3>Colofon</h3><table>
      <tr><th>Auteur</th><td>Sectie Wiskunde</td></tr>
      <tr><th>Laatst gewijzigd</th><td>24 februari 2023 om 13:06</td></tr>
      <tr><th>Licentie</th><td>De Internationale Creative Commons 4.0 licentie waarbij de
        gebruiker het werk mag kopiëren, verspreiden en doorgeven en afgeleide werken mag maken
        onder de voorwaarden: Naamsvermelding en Gelijk Delen, zie
        http://creativecommons.org/licenses/by-sa/4.0/.<br>
        <a href="https://creativecommons.org/licenses/by-sa/4.0/deed.nl">Meer informatie over de
        CC Naamsvermelding-GelijkDelen 4.0 Internationale licentie</a>
        <img src="https://i.creativecommons.org/l/by-sa/4.0/88x31.png" alt="CC BY-SA"></td></tr>
      </table>
      <h3>Bronnen</h3><table><tr><th>Bron</th><th>Licentie</th></tr>
      <tr><td>Foto taart</td><td>CC BY-NC 2.0</td></tr>
      <tr><td>Schema</td><td><a href="https://creativecommons.org/licenses/by-nd/3.0/">CC BY-ND</a></td></tr>
      </table>""")
    result = detect(page)
    assert (result.id, result.scope, result.conflict) == ("CC-BY-SA-4.0", "material", False)
    assert result.all_ids == ["CC-BY-SA-4.0"]  # the sources' licences are theirs
    assert result.signal == "link"
    assert result.spdx == "CC-BY-SA-4.0"


def test_wikiwijs_30_links_both_unported_and_port_beside_nederland():
    page = wikiwijs("""<h3>Colofon</h3><dl class="colofon">
      <dt>Auteur</dt><dd>J. de Vries</dd>
      <dt>Licentie</dt><dd>Dit lesmateriaal is gepubliceerd onder de Creative Commons
        Naamsvermelding 3.0 Nederland licentie.
        <a href="http://creativecommons.org/licenses/by/3.0/">Meer informatie over de CC
        Naamsvermelding 3.0 Nederland licentie</a>
        <a href="http://creativecommons.org/licenses/by/3.0/nl/"><img
          src="http://i.creativecommons.org/l/by/3.0/nl/88x31.png"></a></dd></dl>""")
    result = detect(page)
    assert (result.id, result.all_ids, result.conflict) == ("CC-BY-3.0-NL", ["CC-BY-3.0-NL"], False)
    assert result.spdx == "CC-BY-3.0-NL"


def test_wikiwijs_colofon_as_plain_lines():
    page = wikiwijs("""<div class="colofon"><strong>Colofon</strong><br>
      Auteur: Sectie Economie<br>Laatst gewijzigd: 02-03-2021<br>
      Licentie: <span>Naamsvermelding-NietCommercieel-GelijkDelen</span> <span>3.0</span>
      <span>Nederland</span><br>Webadres: https://maken.wikiwijs.nl/171772</div>""")
    result = detect(page)
    assert (result.id, result.scope, result.signal) == ("CC-BY-NC-SA-3.0-NL", "material", "text")
    assert result.spdx == "LicenseRef-CC-BY-NC-SA-3.0-NL"


def test_wikiwijs_labels_and_values_in_separate_columns():
    page = wikiwijs("""<h3>Colofon</h3><table><tr>
      <td>Auteurs<br>Laatst gewijzigd<br>Licentie</td>
      <td>Team Techniek<br>24 februari 2023 om 13:06<br>Meer informatie over de CC
        Naamsvermelding 4.0 Internationale licentie licentie.</td></tr></table>""")
    assert detect(page).id == "CC-BY-4.0"


def test_wikiwijs_page_without_material_licence_reports_the_site_default():
    result = detect(wikiwijs("<p>Nog geen colofon.</p>"))
    assert (result.id, result.scope, result.location) == ("CC-BY-4.0", "site", "site")


def test_shipped_wikiwijs_arrangement_page():
    page = Page.parse((PAGES / "wikiwijs_arrangement.html").read_text("utf-8"),
                      "https://maken.wikiwijs.nl/171772/Breuken_en_procenten")
    result = detect(page)
    assert (result.id, result.scope, result.signal) == ("CC-BY-SA-4.0", "material", "rel")
    assert result.conflict is False


WORDPRESS = """<!DOCTYPE html><html lang="nl-NL"><head><meta charset="UTF-8">
<title>Les 3: fotosynthese &#8211; Biologie voor iedereen</title>
<link rel="stylesheet" href="/wp-content/themes/x/style.css"></head>
<body class="post-template-default single">
<div id="page" class="site"><header id="masthead" class="site-header">
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li class="menu-item"><a href="/">Home</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area">
<main id="main" class="site-main"><article id="post-12" class="post-12 post type-post">
<header class="entry-header"><h1 class="entry-title">Les 3: fotosynthese</h1></header>
<div class="entry-content"><p>Planten maken suiker uit licht.</p>
<figure class="wp-block-image"><img src="/wp-content/uploads/blad.jpg">
<figcaption>Blad, <a href="https://creativecommons.org/licenses/by-nc-nd/2.0/">CC BY-NC-ND 2.0</a></figcaption></figure>
{content}</div>
<footer class="entry-footer"><span class="cat-links">Biologie</span>{entry_footer}</footer>
</article></main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_text">{widget}</section></aside>
</div><footer id="colophon" class="site-footer"><div class="site-info">{footer}</div></footer>
</div></body></html>"""


def wordpress(content="", entry_footer="", widget="", footer="") -> Page:
    html = WORDPRESS.format(content=content, entry_footer=entry_footer, widget=widget,
                            footer=footer)
    return Page.parse(html, "https://biologie.example.nl/les-3/")


CHOOSER = ('<p xmlns:cc="http://creativecommons.org/ns#" xmlns:dct="http://purl.org/dc/terms/">'
           '<a property="dct:title" rel="cc:attributionURL" href="https://biologie.example.nl/les-3/">'
           'Les 3</a> by <span property="cc:attributionName">A. Bakker</span> is licensed under '
           '<a href="https://creativecommons.org/licenses/by-sa/4.0/?ref=chooser-v1" '
           'target="_blank" rel="license noopener noreferrer" style="display:inline-block;">'
           'CC BY-SA 4.0<img style="height:22px!important;margin-left:3px;" '
           'src="https://mirrors.creativecommons.org/presskit/icons/cc.svg?ref=chooser-v1">'
           '<img style="height:22px!important;margin-left:3px;" '
           'src="https://mirrors.creativecommons.org/presskit/icons/by.svg?ref=chooser-v1"></a></p>')


def test_wordpress_chooser_snippet_beats_theme_footer():
    page = wordpress(content=CHOOSER, footer='Site: <a rel="license" '
                     'href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>')
    result = detect(page)
    assert (result.id, result.scope, result.signal) == ("CC-BY-SA-4.0", "material", "rel")
    assert result.all_ids == ["CC-BY-SA-4.0"]
    assert "by-sa/4.0" in result.evidence


def test_wordpress_chooser_snippet_in_the_entry_footer_is_the_posts_own():
    result = detect(wordpress(entry_footer=CHOOSER))
    assert (result.id, result.scope) == ("CC-BY-SA-4.0", "material")


def test_wordpress_licence_only_in_sidebar_widget_is_a_site_default():
    page = wordpress(widget='<a rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/">'
                     '<img src="https://i0.wp.com/i.creativecommons.org/l/by-nc/4.0/88x31.png?w=88">'
                     '</a>', footer="© 2024 Biologie voor iedereen. Alle rechten voorbehouden.")
    result = detect(page)
    assert (result.id, result.scope) == ("CC-BY-NC-4.0", "site")


def test_wordpress_only_all_rights_reserved_in_footer():
    result = detect(wordpress(footer="© 2024 Uitgeverij. All rights reserved."))
    assert (result.id, result.scope) == ("all-rights-reserved", "site")


def test_wordpress_lazy_loaded_button():
    result = detect(wordpress(content='<p><img src="data:image/gif;base64,R0lGOD" '
                              'data-src="https://licensebuttons.net/l/by/3.0/nl/88x31.png"></p>'))
    assert (result.id, result.signal) == ("CC-BY-3.0-NL", "button")


def test_nothing_but_a_figure_licence_is_no_licence():
    result = detect(wordpress())
    assert result.id is None and result.all_ids == []


JSONLD_GRAPH = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "@id": "https://les.example.nl/#website", "license": "https://creativecommons.org/licenses/by/4.0/"},
  {"@type": "ImageObject", "@id": "https://les.example.nl/#primaryimage", "license": "https://creativecommons.org/licenses/by-nc/2.0/"},
  {"@type": ["WebPage", "LearningResource"], "@id": "https://les.example.nl/breuken",
   "license": [{"@type": "CreativeWork", "url": "https://creativecommons.org/licenses/by-sa/4.0/deed.nl", "name": "CC BY-SA 4.0"}],
   "sdLicense": "https://creativecommons.org/publicdomain/zero/1.0/",
   "image": {"@type": "ImageObject", "license": "https://creativecommons.org/licenses/by-nd/4.0/"}}
]}</script></head><body><main><h1>Breuken</h1></main></body></html>"""


def test_jsonld_graph_webpage_licence_wins_over_website_and_media():
    result = detect(Page.parse(JSONLD_GRAPH, "https://les.example.nl/breuken"))
    assert (result.id, result.scope, result.signal) == ("CC-BY-SA-4.0", "material", "jsonld")
    assert result.all_ids == ["CC-BY-SA-4.0"]


def test_jsonld_website_licence_alone_is_a_site_default():
    html = ('<script type="application/ld+json">{"@context":"https://schema.org",'
            '"@type":"WebSite","license":"https://creativecommons.org/licenses/by/4.0/"}</script>')
    result = detect(Page.parse(html, "https://les.example.nl/"))
    assert (result.id, result.scope) == ("CC-BY-4.0", "site")


def test_jsonld_text_licence_and_broken_json():
    html = ('<script type="application/ld+json">{not json</script>'
            '<script type="application/ld+json">[{"@type":"Course","license":"CC BY-NC 4.0"}]</script>')
    assert detect(Page.parse(html, "https://x.nl/")).id == "CC-BY-NC-4.0"


def test_jsonld_beats_a_weaker_text_with_other_elements_and_flags_conflict():
    html = ('<script type="application/ld+json">{"@type":"LearningResource",'
            '"license":"https://creativecommons.org/licenses/by/4.0/"}</script>'
            '<main><p>Licentie: CC BY-NC-SA</p></main>')
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.conflict) == ("CC-BY-4.0", True)
    assert result.all_ids == ["CC-BY-4.0", "CC-BY-NC-SA"]


@pytest.mark.parametrize("head, expected", [
    ('<meta name="DC.rights" content="CC BY-SA 3.0 NL">', "CC-BY-SA-3.0-NL"),
    ('<meta property="og:license" content="https://creativecommons.org/licenses/by/4.0/">',
     "CC-BY-4.0"),
    ('<meta name="DCTERMS.license" content="http://creativecommons.org/publicdomain/zero/1.0/">',
     "CC0-1.0"),
    ('<link itemprop="license" href="https://creativecommons.org/licenses/by-nd/4.0/">',
     "CC-BY-ND-4.0"),
    ('<meta name="DC.rights" content="Alle rechten voorbehouden">', "all-rights-reserved"),
    ('<meta name="description" content="Les over CC BY-licenties">', None),
    ('<link rel="license" href="/licentie">', None),
])
def test_head_signals(head, expected):
    page = Page.parse(f"<html><head>{head}</head><body><p>Les</p></body></html>", "https://x.nl/")
    result = detect(page)
    assert result.id == expected
    assert result.scope == ("material" if expected else None)


def test_meta_licence_beats_plain_link():
    html = ('<head><meta name="license" content="https://creativecommons.org/licenses/by/4.0/">'
            '</head><body><a href="https://creativecommons.org/licenses/by/3.0/">oud</a></body>')
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.signal, result.all_ids) == ("CC-BY-4.0", "meta",
                                                          ["CC-BY-4.0", "CC-BY-3.0"])
    assert result.conflict is False  # same elements, other version: no conflict


def test_rel_license_to_own_page_reads_the_link_words():
    html = '<main><a rel="license" href="/over/licentie">CC BY-SA 4.0</a></main>'
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.signal) == ("CC-BY-SA-4.0", "rel")


def test_versionless_text_merges_into_versioned_link():
    html = ('<main><p>Licentie: CC BY-SA</p><p><a href="https://creativecommons.org/licenses/'
            'by-sa/4.0/">licentievoorwaarden</a></p></main>')
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.all_ids, result.conflict) == ("CC-BY-SA-4.0", ["CC-BY-SA-4.0"], False)


def test_versionless_only_never_guesses_a_version():
    result = detect(Page.parse("<main><p>Licentie: CC BY-SA</p></main>", "https://x.nl/"))
    assert (result.id, result.spdx) == ("CC-BY-SA", "LicenseRef-CC-BY-SA")


@pytest.mark.parametrize("body", [
    "<p>Foto: Jane (CC BY-NC 2.0)</p>",
    '<p>Afbeelding: kaart van Nederland, <a href="https://creativecommons.org/licenses/by-sa/3.0/">'
    "CC BY-SA 3.0</a></p>",
    '<p>Bron: Wikimedia Commons <img src="https://licensebuttons.net/l/by/2.0/80x15.png"></p>',
    "<figure><blockquote>Citaat</blockquote><figcaption>CC BY 4.0</figcaption></figure>",
    "<h2>Beeldverantwoording</h2><ul><li>Kaart: CC BY-SA 4.0</li><li>Logo: CC BY-ND</li></ul>",
])
def test_image_credits_are_components(body):
    page = Page.parse(f"<main><p>Lestekst.</p>{body}</main>", "https://x.nl/")
    assert detect(page).id is None


def test_credit_line_does_not_hide_the_material_licence_before_it():
    html = "<main><p>Deze les: CC BY 4.0. Foto: Jan, CC BY-NC 2.0</p></main>"
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.all_ids) == ("CC-BY-4.0", ["CC-BY-4.0"])


def test_copyright_notice_beside_licence_is_not_all_rights_reserved():
    html = "<main><p>© 2023 Jan Jansen. Alle rechten voorbehouden behalve: CC BY 4.0</p></main>"
    assert detect(Page.parse(html, "https://x.nl/")).id == "CC-BY-4.0"


def test_licence_split_over_inline_elements():
    html = "<main><p>Licentie: <b>CC</b> <i>BY-NC</i> <span>4.0</span></p></main>"
    assert detect(Page.parse(html, "https://x.nl/")).id == "CC-BY-NC-4.0"


def test_script_text_is_not_a_licence():
    html = '<main><p>Les</p><script>var l = "CC BY 4.0";</script></main>'
    assert detect(Page.parse(html, "https://x.nl/")).id is None


def test_public_domain_claim_and_cc0_merge():
    html = ('<main><p>Dit werk is publiek domein: <a href="https://creativecommons.org/'
            'publicdomain/zero/1.0/">CC0</a></p></main>')
    result = detect(Page.parse(html, "https://x.nl/"))
    assert (result.id, result.all_ids, result.conflict) == ("CC0-1.0", ["CC0-1.0"], False)


def test_empty_page():
    assert detect(Page.parse("", "https://x.nl/")).id is None


def test_extract_fills_facts_licence():
    html = (PAGES / "wikiwijs_arrangement.html").read_bytes()
    result = FetchResult(url="https://maken.wikiwijs.nl/171772", availability="ok",
                         final_url="https://maken.wikiwijs.nl/171772/Breuken_en_procenten",
                         status_code=200, body=html, text=html.decode("utf-8"),
                         content_type="text/html")
    facts = extract(result)
    assert (facts.licence_id, facts.licence_scope) == ("CC-BY-SA-4.0", "material")


# ------------------------------------------------------------------ zones

ZONES = """<html><head><meta name="x" content="y"></head><body>
<header><a data-t="header">x</a></header>
<div class="sidebar-left"><a data-t="sidebar">x</a></div>
<div role="contentinfo"><a data-t="contentinfo">x</a></div>
<div class="site-header"><a data-t="site-header-class">x</a></div>
<div class="lesson-header"><a data-t="header-class">x</a></div>
<main><article><header><a data-t="article-header">x</a></header>
<nav class="toc"><a data-t="article-nav">x</a></nav>
<div class="sidebar"><a data-t="article-sidebar">x</a></div>
<div class="post-footer"><a data-t="article-footer-class">x</a></div>
<div class="site-footer"><a data-t="article-site-footer">x</a></div>
<p><a data-t="content">x</a></p>
<figure><img data-t="figure-img" src="a.png"><figcaption><a data-t="caption">x</a></figcaption></figure>
<footer><a data-t="article-footer">x</a></footer></article></main>
<footer><div><a data-t="site-footer">x</a></div></footer>
<div class="main-menu"><main><a data-t="main-in-menu">x</a></main></div>
<div role="main"><aside><a data-t="aside-in-role-main">x</a></aside></div>
</body></html>"""


@pytest.mark.parametrize("marker, zone", [
    ("header", "site"), ("sidebar", "site"), ("contentinfo", "site"),
    ("site-header-class", "site"), ("header-class", "material"),
    ("article-header", "material"), ("article-nav", "site"), ("article-sidebar", "site"),
    ("article-footer-class", "material"), ("article-site-footer", "site"),
    ("content", "material"), ("figure-img", "component"), ("caption", "component"),
    ("article-footer", "material"), ("site-footer", "site"), ("main-in-menu", "site"),
    ("aside-in-role-main", "site"),
])
def test_page_zones(marker, zone):
    page = Page.parse(ZONES, "https://x.nl/")
    [element] = page.root.xpath("//*[@data-t=$t]", t=marker)
    assert page.zone(element) == zone


def test_head_is_material():
    page = Page.parse(ZONES, "https://x.nl/")
    assert page.zone(page.head.find("meta")) == "material"


def test_a_sources_list_full_of_licences_stays_the_sources_own():
    """Hundreds of credited sources, each with its licence, under "Bronnen": they are
    the sources' own, and the material's licence above them is the one reported."""
    sources = "".join(f"<li>Werkblad {i} van Jan, CC BY-NC-SA 4.0 "
                      f'<a href="https://creativecommons.org/licenses/by-nc/4.0/">licentie</a>'
                      f"</li>" for i in range(400))
    html = ("<html><body><main><h1>Breuken</h1><p>Dit lesmateriaal valt onder CC BY-SA 4.0.</p>"
            f"<h2>Bronnen</h2><ul>{sources}</ul></main></body></html>")
    result = detect(Page.parse(html, "https://les.example.nl/breuken"))
    assert (result.id, result.scope, result.all_ids) == ("CC-BY-SA-4.0", "material",
                                                         ["CC-BY-SA-4.0"])


# The signal elements as one XPath (how they were first written down): the tag filter
# plus `_is_signal` must select exactly these.
_SIGNALS_XPATH = (
    "//a[@href][@rel or @itemprop"
    " or contains(translate(@href, 'CREATIVOMS', 'creativoms'), 'creativecommons.org')]"
    " | //link[@href][@rel or @itemprop]"
    " | //meta[@content][@name or @property or @itemprop]"
    " | //img[contains(concat(@src, ' ', @data-src, ' ', @data-lazy-src), 'creativecommons')"
    " or contains(concat(@src, ' ', @data-src, ' ', @data-lazy-src), 'licensebuttons')]"
    " | //script[@type='application/ld+json']")


def test_signal_elements_are_those_the_signal_xpath_selects():
    from oermonitor.extract import licence

    hrefs = ("https://creativecommons.org/licenses/by/4.0/", "HTTPS://CREATIVECOMMONS.ORG/x",
             "https://CreativeCommons.org/x", "https://creativecommons.orG/x",
             "https://creativecommoNs.org/x", "/over", "")
    parts = [f'<a href="{h}">a</a><a href="{h}" rel="">b</a><a href="{h}" itemprop="x">c</a>'
             for h in hrefs]
    parts += ['<a rel="license">no href</a>', '<link href="/x" rel="license">',
              '<link href="/x">', '<link rel="license">', '<meta content="CC BY" name="license">',
              '<meta content="x" property="p">', '<meta content="x" itemprop="i">',
              '<meta name="license">', '<meta content="x">',
              '<img src="https://i.creativecommons.org/l/by/4.0/88x31.png">',
              '<img data-src="https://licensebuttons.net/l/by/4.0/88x31.png">',
              '<img data-lazy-src="//creativecommons.org/b.png">', '<img src="/cc-by.png">',
              '<img src="CREATIVECOMMONS.png">', '<script type="application/ld+json">{}</script>',
              '<script type="application/LD+json">{}</script>', '<script>x</script>']
    page = Page.parse("<html><head></head><body>" + "".join(parts) + "</body></html>",
                      "https://example.org/")
    selected = [element for element in page.root.iter(licence._SIGNAL_TAGS)
                if licence._is_signal(element, element.tag)]
    assert selected == page.root.xpath(_SIGNALS_XPATH)
    assert len(selected) > 20


def test_squash_turns_every_whitespace_run_into_one_space():
    import itertools
    import re

    from oermonitor.extract.licence import _squash

    for size in range(6):
        for chars in itertools.product(("a", " ", "\n", "\xa0", "\u2003", "\t", "\x1c"),
                                       repeat=size):
            text = "".join(chars)
            assert _squash(text) == re.sub(r"\s+", " ", text), repr(text)
