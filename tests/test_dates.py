"""Declared dates: every source, Dutch and English formats, and the dynamic Last-Modified trap."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oermonitor.extract import dates
from oermonitor.extract.page import Page
from oermonitor.extract.platforms import PlatformFacts

FETCHED = datetime(2025, 1, 13, 8, 0, tzinfo=UTC)
PAGES = Path(__file__).parent / "pages"


def declared(html: str, headers: dict | None = None, platform=None, fetched=FETCHED):
    page = Page.parse(html, "https://example.org/les", headers or {})
    return dates.declared_date(page, headers or {}, fetched, platform)


@pytest.mark.parametrize("text, expected", [
    ("24 februari 2023 om 13:06", "2023-02-24T13:06:00"),
    ("3 jan. 2025", "2025-01-03"),
    ("12-03-2019", "2019-03-12"),  # day first
    ("12.03.2019", "2019-03-12"),
    ("2019-03-12", "2019-03-12"),  # a leading year is never year-day-month
    ("2019/03/12", "2019-03-12"),
    ("24-02-2023 13:06:12", "2023-02-24T13:06:12"),
    ("vrijdag 3 mei 2024 om 09:15 uur", "2024-05-03T09:15:00"),
    ("3 mrt 2023", "2023-03-03"),
    ("3 okt. 2021", "2021-10-03"),
    ("1 januari 2020", "2020-01-01"),
    ("3 maart 2023 door Jan de Vries", "2023-03-03"),
    ("3 maart 2023, Jan de Vries", "2023-03-03"),  # "Jan" is also a month
    ("februari 2023", "2023-02-01"),  # a month is enough, the day is then the first
    ("March 3, 2023", "2023-03-03"),
    ("14 Feb 2022 10:00", "2022-02-14T10:00:00"),
    ("Fri, 24 Feb 2023 12:06:00 GMT", "2023-02-24T12:06:00+00:00"),
    ("2023-02-24T13:06:00+01:00", "2023-02-24T13:06:00+01:00"),
    ("2023-02-24T12:06:00Z", "2023-02-24T12:06:00+00:00"),
])
def test_parse_date_dutch_english_and_iso(text, expected):
    assert dates.iso(dates.parse_date(text)) == expected


@pytest.mark.parametrize("text", [
    "", "2023", "13:06", "3 maart", "versie 3", "onder een CC BY licentie", "maandag", None,
])
def test_parse_date_refuses_what_is_not_a_full_date(text):
    assert dates.parse_date(text) is None


def test_dutch_parser_is_a_dateutil_parserinfo_with_om_as_jump_word():
    info = dates.DutchDates(dayfirst=True)
    assert info.month("mrt") == 3 and info.month("oktober") == 10 and info.month("mei") == 5
    assert info.jump("om") and info.dayfirst


# --- labels in every shape --------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "<table><tr><td>Laatst gewijzigd</td><td>24 februari 2023 om 13:06</td></tr></table>",
    "<table><tr><th>Laatst gewijzigd:</th><td><span>24 februari 2023 om 13:06</span></td></tr></table>",
    "<dl><dt>Auteur</dt><dd>Jan</dd><dt>Laatst gewijzigd</dt><dd>24 februari 2023 om 13:06</dd></dl>",
    "<div><span class='label'>Laatst gewijzigd:</span> <span>24 februari 2023 om 13:06</span></div>",
    "<p>Auteur: Piet<br>Laatst gewijzigd: 24 februari 2023 om 13:06<br>Licentie: CC BY</p>",
    "<p><strong>Laatst gewijzigd</strong> 24 februari 2023 om 13:06</p>",
    "<p><strong>Laatst gewijzigd</strong><br>24 februari 2023 om 13:06</p>",
    "<div><div><b>Laatst gewijzigd</b></div><div>24-02-2023 13:06</div></div>",
])
def test_label_shapes(html):
    assert declared(f"<main>{html}</main>") == ("2023-02-24T13:06:00", "label")


@pytest.mark.parametrize("line, expected", [
    ("Laatst bijgewerkt: 3 maart 2023", "2023-03-03"),
    ("Bijgewerkt op 3 maart 2023", "2023-03-03"),
    ("Gewijzigd op 12-03-2019", "2019-03-12"),
    ("Deze pagina is laatst bijgewerkt op 3 jan. 2025.", "2025-01-03"),
    ("Last updated: March 3, 2023", "2023-03-03"),
    ("Last modified on 14 Feb 2022 10:00", "2022-02-14T10:00:00"),
])
def test_modification_labels_dutch_and_english(line, expected):
    assert declared(f"<article><p>{line}</p></article>") == (expected, "label")


def test_label_with_time_element_reads_its_datetime():
    html = '<p>Bijgewerkt op <time datetime="2022-05-01T10:00:00+02:00">1 mei</time></p>'
    assert declared(html) == ("2022-05-01T10:00:00+02:00", "label")


def test_publication_label_is_the_fallback():
    assert declared("<p>Gepubliceerd op 1 september 2020</p>") == ("2020-09-01", "label:published")
    assert declared("<p>Published on 1 September 2020</p>") == ("2020-09-01", "label:published")


def test_modification_beats_a_later_publication():
    html = "<p>Gepubliceerd op 1 mei 2024</p><p>Laatst gewijzigd: 3 maart 2023</p>"
    assert declared(html) == ("2023-03-03", "label")


def test_label_word_in_a_sentence_without_date_is_no_date():
    assert declared("<p>Gepubliceerd onder een CC BY-licentie.</p>") == (None, None)


def test_site_footer_label_only_when_the_material_declares_nothing():
    footer = "<footer><p>Laatst bijgewerkt: 10 januari 2025</p></footer>"
    assert declared(f"<main><p>Les</p></main>{footer}") == ("2025-01-10", "site-label")
    material = "<main><p>Laatst gewijzigd: 1 mei 2021</p></main>"
    assert declared(material + footer) == ("2021-05-01", "label")


def test_script_text_is_not_a_label_but_the_text_after_it_is():
    html = '<script>var s = "Laatst gewijzigd: 3 maart 2023";</script><p>Les</p>'
    assert declared(html) == (None, None)
    html = '<p><script>var s = 1;</script>Laatst gewijzigd: 4 maart 2023</p>'
    assert declared(html) == ("2023-03-04", "label")


# --- <time>, JSON-LD, meta ---------------------------------------------------------------

def test_time_element_marked_as_update_wins_over_plain_one():
    html = ('<article><time datetime="2021-04-04">4 april</time><p>Les</p>'
            '<time class="updated" datetime="2022-06-06T12:00">6 juni</time></article>')
    assert declared(html) == ("2022-06-06T12:00:00", "time")
    html = '<article><time itemprop="dateModified" datetime="2022-06-07">x</time></article>'
    assert declared(html) == ("2022-06-07", "time")


def test_plain_time_element_is_a_publication_date():
    assert declared('<article><time datetime="2021-04-04">4 april</time></article>') == (
        "2021-04-04", "time:published")
    # only the first readable one: later plain times are dates in the text (a deadline)
    html = ('<article><time datetime="">?</time><time>3 maart 2020</time>'
            '<p>Inleveren op <time datetime="2024-06-01">1 juni</time></p></article>')
    assert declared(html) == ("2020-03-03", "time:published")


JSONLD = '<script type="application/ld+json">{}</script><p>Les</p>'


def test_jsonld_top_entity():
    data = '{"@type": "Article", "datePublished": "2020-01-05", "dateModified": "2021-07-08"}'
    assert declared(JSONLD.format(data)) == ("2021-07-08", "jsonld")


def test_jsonld_graph_ignores_the_website_node_and_nested_objects():
    data = ('{"@graph": [{"@type": "WebSite", "dateModified": "2024-12-01"},'
            ' {"@type": "LearningResource", "dateModified": "2021-07-08T10:00:00+02:00",'
            '  "review": {"@type": "Review", "dateModified": "2024-12-24"}}]}')
    assert declared(JSONLD.format(data)) == ("2021-07-08T10:00:00+02:00", "jsonld")


def test_jsonld_graph_as_a_single_object():
    data = '{"@graph": {"@type": "Article", "dateModified": "2021-07-08"}}'
    assert declared(JSONLD.format(data)) == ("2021-07-08", "jsonld")


def test_jsonld_main_entity_list_and_publication_fallback():
    data = ('[{"@type": "WebPage", "mainEntity": {"@type": "Course", '
            '"datePublished": "2019-09-02"}}]')
    assert declared(JSONLD.format(data)) == ("2019-09-02", "jsonld:published")


def test_broken_jsonld_is_ignored():
    assert declared(JSONLD.format('{"dateModified": "2021-07-08"')) == (None, None)


@pytest.mark.parametrize("attribute, name", [
    ("property", "article:modified_time"),
    ("property", "og:updated_time"),
    ("name", "DCTERMS.modified"),
    ("name", "DC.date.modified"),
    ("itemprop", "dateModified"),
])
def test_meta_modification(attribute, name):
    html = f'<html><head><meta {attribute}="{name}" content="2022-02-02T10:00:00Z"></head></html>'
    assert declared(html) == ("2022-02-02T10:00:00+00:00", "meta")


@pytest.mark.parametrize("name, content", [
    ("citation_publication_date", "2019/05/06"),
    ("DC.date", "06-05-2019"),
    ("DCTERMS.issued", "2019-05-06"),
    ("article:published_time", "2019-05-06"),
])
def test_meta_publication(name, content):
    html = f'<html><head><meta name="{name}" content="{content}"></head></html>'
    assert declared(html) == ("2019-05-06", "meta:published")


def test_latest_modification_across_sources_wins():
    html = (PAGES / "generic_article.html").read_text()
    # meta 2022-11-15, label 2023-04-03 (date only), JSON-LD 2023-04-03 11:20; the
    # WebSite node and the footer's 2025 date are the site's, not the lesson's.
    assert declared(html) == ("2023-04-03T11:20:00+02:00", "jsonld")


def test_colofon_date_of_the_platform_comes_first():
    platform = PlatformFacts(name="wikiwijs", modified="24 februari 2023 om 13:06")
    html = '<html><head><meta property="article:modified_time" content="2024-01-01"></head></html>'
    assert declared(html, platform=platform) == ("2023-02-24T13:06:00", "colofon")
    unreadable = PlatformFacts(name="wikiwijs", modified="onbekend")
    assert declared(html, platform=unreadable) == ("2024-01-01", "meta")


# --- implausible and future dates -----------------------------------------------------------

def test_future_and_ancient_dates_are_ignored():
    assert declared("<p>Laatst gewijzigd: 3 maart 2031</p>") == (None, None)
    assert declared("<p>Laatst gewijzigd: 3 maart 1985</p>") == (None, None)
    html = ('<html><head><meta property="article:modified_time" content="2025-01-14T08:00:00Z">'
            '<meta name="DC.date" content="2018-01-01"></head></html>')
    assert declared(html) == ("2018-01-01", "meta:published")


def test_local_time_without_zone_a_few_hours_ahead_is_not_future():
    # The fetch was at 08:00 UTC (09:00 in Amsterdam); a zone-less 08:50 is Dutch local
    # time, ten minutes earlier, so it is believed; a day later is the future.
    assert declared("<p>Laatst gewijzigd: 13-01-2025 08:50</p>")[0] == "2025-01-13T08:50:00"
    assert declared("<p>Laatst gewijzigd: 14-01-2025 09:30</p>") == (None, None)


def test_without_fetch_time_only_the_1990_floor_applies():
    assert declared("<p>Laatst gewijzigd: 3 maart 2031</p>", fetched=None) == ("2031-03-03", "label")


# --- HTTP Last-Modified -------------------------------------------------------------------------

def http(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_last_modified_header_is_a_date():
    headers = {"last-modified": "Wed, 01 Mar 2023 10:00:00 GMT", "date": http(FETCHED)}
    assert dates.from_headers(headers, FETCHED) == ("2023-03-01T10:00:00+00:00", "http")


def test_dynamic_last_modified_equal_to_response_date_is_ignored():
    headers = {"Last-Modified": http(FETCHED), "Date": http(FETCHED)}
    assert dates.from_headers(headers, FETCHED) == (None, None)
    # server clock behind ours: compared with its own Date header, still "now"
    skewed = FETCHED - timedelta(hours=3)
    assert dates.from_headers({"last-modified": http(skewed), "date": http(skewed)},
                              FETCHED) == (None, None)


def test_dynamic_last_modified_without_date_header_compares_with_fetch_time():
    assert dates.from_headers({"last-modified": http(FETCHED - timedelta(seconds=30))},
                              FETCHED) == (None, None)
    assert dates.from_headers({"last-modified": http(FETCHED - timedelta(days=30))},
                              FETCHED)[1] == "http"


@pytest.mark.parametrize("value", [
    "garbage", "", "Sat, 01 Jan 1983 00:00:00 GMT", "Mon, 01 Jan 2035 00:00:00 GMT",
])
def test_unusable_last_modified_is_ignored(value):
    assert dates.from_headers({"last-modified": value}, FETCHED) == (None, None)


def test_header_used_for_a_page_that_declares_no_change_only_a_publication():
    headers = {"last-modified": "Wed, 01 Mar 2023 10:00:00 GMT", "date": http(FETCHED)}
    html = "<p>Gepubliceerd op 1 september 2020</p>"
    assert declared(html, headers) == ("2023-03-01T10:00:00+00:00", "http")
    assert declared("<p>Laatst gewijzigd: 3 maart 2021</p>", headers) == ("2021-03-03", "label")
    dynamic = {"last-modified": http(FETCHED), "date": http(FETCHED)}
    assert declared(html, dynamic) == ("2020-09-01", "label:published")


def test_colofon_dates_read_directly_as_dateutil_reads_them():
    """The direct reading of '21 mei 2017 om 13:06' gives what the full parser gives,
    and leaves impossible dates (31 april, 24:00) to it."""
    from dateutil import parser as dateparser

    from oermonitor.extract.dates import _MONTHS_NL, DutchDates, _colofon_date

    info = DutchDates(dayfirst=True)
    read = 0
    for month in _MONTHS_NL:
        for day in (0, 1, 7, 9, 28, 29, 30, 31, 32):
            for year in (1899, 1990, 2016, 2017, 2024):
                for time in ("", " om 0:00", " om 13:06", " om 23:59", " om 24:00",
                             " om 9:60"):
                    text = f"{day} {month} {year}{time}"
                    direct = _colofon_date(text)
                    if direct is None:
                        continue
                    read += 1
                    assert direct == dateparser.parse(text, parserinfo=info, dayfirst=True,
                                                      default=datetime(1, 1, 1)), text
                    assert dates.parse_date(text) == direct
    assert read > 1000
