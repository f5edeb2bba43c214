"""Declared dates on realistic pages: the page's own date, not a comment's or a teaser's.

The pages are written for these tests in the shapes that blogs, wikis, school and
civic sites use (WordPress themes, MediaWiki, German CMSs). The rule they check:
precision over recall. A wrong, recent date hides staleness, so a date that may
belong to something else on the page (a reader's comment, a teaser of another
article, an embedded post, a sidebar) is never the material's.
"""

import logging
from datetime import UTC, datetime

import pytest

from oermonitor import extract as extraction
from oermonitor.extract import dates
from oermonitor.extract.page import Page
from oermonitor.models import FetchResult

FETCHED = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def declared(html: str, headers: dict | None = None):
    page = Page.parse(html, "https://blog.example.nl/les", headers or {})
    return dates.declared_date(page, headers or {}, FETCHED)


BLOG = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>Breuken vergelijken – Meester Bart</title></head>
<body class="post-template-default single has-sidebar">
<div class="site-container"><header class="site-header"><nav class="nav-primary">
<a href="/">Home</a> <a href="/lessen">Lessen</a></nav></header>
<div class="content-sidebar-wrap">
<main class="content"><article class="post type-post entry">
<header class="entry-header"><h1 class="entry-title">Breuken vergelijken</h1>
<p class="entry-meta">Gepubliceerd op 5 oktober 2022 om 08:12 | Laatst bijgewerkt op
7 oktober 2022 om 10:15 | door Bart</p></header>
<div class="entry-content"><p>In deze les vergelijk je breuken met een getallenlijn.</p>
<p>Maak eerst opdracht 1 tot en met 4.</p></div>
</article>
<section class="related-posts"><h2>Lees ook</h2>
<article class="post"><h3><a href="/kommagetallen">Kommagetallen</a></h3>
<time class="entry-date published updated" datetime="2025-05-30T09:00:00+02:00">30 mei 2025</time>
</article></section>
<div id="comments" class="comments-area"><h2>3 reacties</h2><ol class="comment-list">
<li class="comment"><div class="comment-meta"><time datetime="2025-05-28T21:14:00+02:00">
28 mei 2025 om 21:14</time></div><p>Handig voor groep 7, dank!</p></li></ol>
<div id="respond" class="comment-respond"><h3>Reageer</h3></div></div>
</main>
<aside class="sidebar sidebar-primary widget-area"><section class="widget">
<h3>Nieuwste berichten</h3><ul><li><a href="/x">Procenten</a>
<time class="updated" datetime="2025-06-01">1 juni 2025</time></li></ul></section></aside>
</div>
<footer class="site-footer"><p>© 2025 Meester Bart</p></footer></div></body></html>"""


def test_blog_post_own_updated_date_beats_comments_teasers_and_sidebar():
    assert declared(BLOG) == ("2022-10-07T10:15:00", "label")


def test_without_its_own_date_a_post_gets_none_from_comments_or_teasers():
    bare = BLOG.replace("Gepubliceerd op 5 oktober 2022 om 08:12 | Laatst bijgewerkt op\n"
                        "7 oktober 2022 om 10:15 | door Bart", "door Bart")
    assert declared(bare) == (None, None)


def test_publication_then_update_on_one_line_in_english():
    html = ("<main><article><h1>Fractions</h1><p>Posted on March 3, 2021 · Updated "
            "14 February 2022</p><p>Text.</p></article></main>")
    assert declared(html) == ("2022-02-14", "label")


MEDIAWIKI = """<html><head><title>Fotosynthese - Biologiewiki</title></head><body>
<div id="mw-page-base"></div><div id="content" class="mw-body" role="main">
<h1 id="firstHeading">Fotosynthese</h1><div id="bodyContent"><p>Planten maken suiker.</p>
<div class="thumb"><div class="thumbcaption">Bladgroen, 2024</div></div></div></div>
<div id="mw-navigation"><div id="mw-panel"><a href="/Hoofdpagina">Hoofdpagina</a></div></div>
<div id="footer" role="contentinfo"><ul id="footer-info">
<li id="footer-info-lastmod"> Deze pagina is voor het laatst bewerkt op 3 mrt 2023 om 10:15.</li>
<li id="footer-info-copyright">De tekst is beschikbaar onder de licentie
<a href="https://creativecommons.org/licenses/by-sa/4.0/deed.nl">Creative Commons
Naamsvermelding/Gelijk delen</a>.</li></ul></div></body></html>"""


def test_mediawiki_last_edited_line_in_dutch_and_english():
    assert declared(MEDIAWIKI) == ("2023-03-03T10:15:00", "site-label")
    english = MEDIAWIKI.replace("Deze pagina is voor het laatst bewerkt op 3 mrt 2023 om 10:15.",
                                "This page was last edited on 14 February 2022, at 09:30.")
    assert declared(english) == ("2022-02-14T09:30:00", "site-label")


@pytest.mark.parametrize("line, expected", [
    ("Stand: 12. März 2021", "2021-03-12"),
    ("Zuletzt aktualisiert am 03.10.2022", "2022-10-03"),
    ("Letztes Update: 5. Januar 2024", "2024-01-05"),
    ("Aktualisiert: 7. Dez. 2023, 14:30 Uhr", "2023-12-07T14:30:00"),
    ("Bewerkt: 9 november 2020", "2020-11-09"),
    ("Last edited 2 May 2023", "2023-05-02"),
    ("Updated: 1 June 2024", "2024-06-01"),
])
def test_more_change_wording_in_three_languages(line, expected):
    html = f"<main><h1>Les</h1><p>Uitleg over het onderwerp.</p><p>{line}</p></main>"
    assert declared(html) == (expected, "label")


@pytest.mark.parametrize("line, expected", [
    ("Datum: 14 januari 2021", "2021-01-14"),
    ("Posted on 3 March 2021 by admin", "2021-03-03"),
    ("Veröffentlicht am 2. Februar 2020", "2020-02-02"),
])
def test_more_publication_wording(line, expected):
    html = f"<main><h1>Les</h1><p>{line}</p><p>Tekst.</p></main>"
    assert declared(html) == (expected, "label:published")


def test_label_word_in_a_sentence_is_no_label():
    html = ("<main><p>Het lesmateriaal wordt elk jaar bijgewerkt en in 2019 werd het voor het "
            "eerst gebruikt; bewerkt door de sectie.</p></main>")
    assert declared(html) == (None, None)


def test_html_comment_right_after_a_label_loses_nothing():
    html = ("<html><head><link rel='license' href='https://creativecommons.org/licenses/by/4.0/'>"
            "</head><body><main><h1>Breuken</h1><table><tr><td>Laatst bijgewerkt:</td>"
            "<!-- datum uit het CMS --><td>12 april 2023</td></tr></table>"
            "<p><span>Laatst bijgewerkt:</span><!-- x --><span>13 april 2023</span></p>"
            "</main></body></html>")
    assert declared(html) == ("2023-04-13", "label")
    result = FetchResult(url="https://x.nl/les", availability="ok", status_code=200,
                         body=html.encode(), text=html, content_type="text/html",
                         fetched_at=FETCHED)
    facts = extraction.extract(result)
    assert (facts.licence_id, facts.last_modified, facts.title) == (
        "CC-BY-4.0", "2023-04-13", "Breuken")


def test_a_failing_extractor_is_logged_and_gives_nothing(caplog):
    def broken(page):
        raise RuntimeError("unexpected markup")

    page = Page.parse("<p>x</p>", "https://x.nl/les")
    with caplog.at_level(logging.WARNING, logger="oermonitor.extract"):
        assert extraction._guarded(page.url, broken, (None, None), page) == (None, None)
    assert "broken failed on https://x.nl/les" in caplog.text


# --- metadata ---------------------------------------------------------------------------

def test_microdata_date_modified_on_a_span_with_content_or_datetime():
    html = ('<main itemscope itemtype="https://schema.org/Article"><h1>Les</h1>'
            '<span itemprop="datePublished" content="2019-02-01">1 feb</span>'
            '<span itemprop="dateModified" content="2021-06-01T10:00:00+02:00">juni</span>'
            '</main>')
    assert declared(html) == ("2021-06-01T10:00:00+02:00", "meta")
    html = '<main><h1>Les</h1><div itemprop="dateModified" datetime="2021-06-02">x</div></main>'
    assert declared(html) == ("2021-06-02", "meta")


@pytest.mark.parametrize("attribute, name", [
    ("name", "lastmodified"), ("name", "dateUpdate"), ("property", "og:updated_time"),
    ("property", "article:modified_time"),
])
def test_more_meta_names(attribute, name):
    html = (f'<html><head><meta {attribute}="{name}" content="2020-11-05T09:00:00+01:00">'
            '</head><body><main><p>Les</p></main></body></html>')
    assert declared(html) == ("2020-11-05T09:00:00+01:00", "meta")


def test_jsonld_with_control_characters_and_a_zone_name():
    data = ('{"@context": "https://schema.org", "@type": "Article",\x0b "headline": "Les\x01 1",'
            ' "datePublished": "2019-10-01T08:00:00 CET", "dateModified": "2019-10-15T10:00:00 CET"}')
    html = f'<script type="application/ld+json">{data}</script><main><p>Les</p></main>'
    assert declared(html) == ("2019-10-15T10:00:00+01:00", "jsonld")


def test_embedded_post_and_quote_do_not_date_the_page():
    html = ("<main><h1>Nieuws</h1><p>Geplaatst op 2 maart 2021</p>"
            '<blockquote class="twitter-tweet"><p>Mooi!</p>— school (@school) '
            '<time datetime="2025-04-01T10:00:00Z">1 april 2025</time>, laatst bijgewerkt '
            "op 2 april 2025</blockquote>"
            '<div class="wp-block-embed"><time class="updated" datetime="2025-05-01">x</time></div>'
            "</main>")
    assert declared(html) == ("2021-03-02", "label:published")


def test_layout_wrappers_named_after_sidebar_or_navigation_are_not_chrome():
    html = ('<body class="no-sidebar"><div class="navigation-container"><nav><a>Home</a></nav>'
            '<div class="content-sidebar-wrap"><main><h1>Les</h1>'
            "<p>Laatst gewijzigd: 4 mei 2022</p></main>"
            '<div class="sidebar"><p>Laatst gewijzigd: 1 juni 2025</p></div></div></div></body>')
    page = Page.parse(html, "https://x.nl/les")
    assert declared(html) == ("2022-05-04", "label")
    assert page.zone(page.root.xpath("//main/p")[0]) == "material"
    assert page.zone(page.root.xpath("//div[@class='sidebar']/p")[0]) == "site"


def test_microdata_of_a_comment_or_teaser_is_theirs():
    html = ('<html><head><meta property="article:published_time" content="2020-01-10"></head>'
            '<body><main><article><h1>Les</h1><p>Tekst.</p></article>'
            '<div class="comments"><div itemscope itemtype="https://schema.org/Comment">'
            '<meta itemprop="dateModified" content="2025-05-05"><p>Goed!</p></div></div>'
            '<article itemscope><meta itemprop="dateModified" content="2025-05-06">'
            '<h2>Volgende les</h2></article></main></body></html>')
    assert declared(html) == ("2020-01-10", "meta:published")


def test_a_teaser_article_before_the_post_does_not_date_it():
    html = ("<main><article class='post-preview'><h2>Vorige les</h2>"
            "<time class='updated' datetime='2025-05-20'>20 mei</time></article>"
            "<article class='post'><h1>Breuken</h1><p>Laatst bijgewerkt: 2 februari 2022</p>"
            "<p>Tekst.</p></article></main>")
    assert declared(html) == ("2022-02-02", "label")


def test_a_sidebar_update_line_is_another_posts_but_a_footer_line_is_the_pages():
    sidebar = ("<main><h1>Les</h1><p>Tekst.</p></main><aside><ul><li>Procenten "
               "<span>Updated: 1 June 2025</span></li></ul></aside>")
    assert declared(sidebar) == (None, None)
    footer = "<main><h1>Les</h1><p>Tekst.</p></main><footer><p>Updated: 1 June 2024</p></footer>"
    assert declared(footer) == ("2024-06-01", "site-label")


def test_replies_are_comments():
    html = ("<main><article><h1>Les</h1><p>Gepubliceerd op 3 maart 2020</p></article>"
            "<div class='replies'><p>Bewerkt op 2 juni 2025</p></div></main>")
    assert declared(html) == ("2020-03-03", "label:published")


def test_a_second_label_without_a_value_on_its_line_borrows_nothing():
    html = ("<main><h1>Les</h1><p>Gepubliceerd op 5 oktober 2022 | Laatst bijgewerkt op "
            "<span>gisteren</span></p></main>")
    assert declared(html) == ("2022-10-05", "label:published")


@pytest.mark.parametrize("line, expected", [
    ("Page last reviewed: 12 March 2021", ("2021-03-12", "label")),
    ("Created by Jan, last modified on Mar 03, 2021", ("2021-03-03", "label")),
    ("This entry was posted on Tuesday, March 3rd, 2009 at 10:15 am and is filed under Maths.",
     ("2009-03-03T10:15:00", "label:published")),
    ("Date: March 3, 2021", ("2021-03-03", "label:published")),
    ("Erstellt am 3. März 2021", ("2021-03-03", "label:published")),
    ("Aangemaakt op 3 maart 2021", ("2021-03-03", "label:published")),
])
def test_wiki_blog_and_government_wording(line, expected):
    assert declared(f"<main><h1>Les</h1><p>{line}</p></main>") == expected


def test_rdfa_and_abbr_microdata_dates():
    drupal = ('<div class="node"><h1>Les</h1><span property="dc:date dc:created" '
              'content="2013-03-05T10:00:00+01:00" datatype="xsd:dateTime">5 maart</span></div>')
    assert declared(drupal) == ("2013-03-05T10:00:00+01:00", "meta:published")
    blogger = ('<div class="post"><h1>Les</h1><abbr class="published" itemprop="datePublished" '
               'title="2019-10-15T10:00:00+02:00">15 okt</abbr></div>')
    assert declared(blogger) == ("2019-10-15T10:00:00+02:00", "meta:published")


def test_an_update_line_in_the_page_header_band_speaks_for_the_page():
    html = ("<div class='page-header'><h1>Breuken</h1><p>Laatst bijgewerkt: 4 april 2023</p></div>"
            "<div class='entry'><p>Tekst.</p></div>")
    assert declared(html) == ("2023-04-04", "site-label")


def test_a_footer_inside_a_navigation_named_page_wrapper_still_counts():
    html = ("<div class='navigation-container'><main><h1>Les</h1><p>Tekst.</p></main>"
            "<footer><p>Laatst bijgewerkt: 4 april 2023</p></footer></div>")
    assert declared(html) == ("2023-04-04", "site-label")
