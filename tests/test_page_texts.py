"""Page.texts / body_texts: the text nodes read once for every extractor."""

from __future__ import annotations

import pytest

from oermonitor.extract.page import Page

PAGES = [
    "<html><head><title>T</title><script>var a;</script></head>"
    "<body>a<p>b<!-- c --><b>d</b>e</p>f<script>g</script>h</body></html>",
    # Text before the head, after the body, and a page that opens with a script
    # (the parser keeps the first content in <head>).
    "<html>x<head><meta name='a' content='b'></head><body><p>in</p></body>after</html>",
    "<html><body><p>a</p></body><!--c-->after <div>z</div></html>",
    "<script>1</script><p>Licentie: CC BY</p><footer>voet</footer>",
    "<p>alleen body</p>",
    "",
]


@pytest.mark.parametrize("html", PAGES)
def test_body_texts_are_the_text_nodes_inside_body(html):
    page = Page.parse(html, "https://example.org/")
    assert page.texts == page.root.xpath("//text()")
    body = page.body
    expected = body.xpath(".//text()") if body is not None else []
    texts = page.body_texts()
    assert texts == expected
    assert [t.getparent() for t in texts] == [t.getparent() for t in expected]
    assert page.texts is page.texts  # read once


# Shapes for the cheaper readings below: scripts and styles in the body (also more
# than a few, and nested in noscript/template), text after them, main and article.
SHAPES = PAGES + [
    "<html><body><main><h1>T</h1><script>var x;</script>na<style>p{}</style><p>p</p>"
    "<noscript>ns<b>b</b>tail<script>in</script></noscript></main>voet</body></html>",
    "<body>" + "".join(f"<p>p{i}</p><script>s{i}</script>t{i}" for i in range(30)) + "</body>",
    "<body><template>tpl<p>x</p></template><article><p>a</p></article><p>after</p></body>",
    "<html><head><script>h</script></head><body><script></script><p>x</p></body></html>",
]


@pytest.mark.parametrize("html", SHAPES)
def test_visible_texts_leave_out_only_the_own_text_of_invisible_elements(html):
    page = Page.parse(html, "https://example.org/")
    expected = [t for t in page.body_texts()
                if not (t.is_text and t.getparent().tag in ("script", "style", "noscript",
                                                            "template"))]
    visible = page.visible_texts()
    assert visible == expected
    assert [t.getparent() for t in visible] == [t.getparent() for t in expected]


@pytest.mark.parametrize("html", SHAPES)
def test_texts_within_an_element_are_its_text_nodes(html):
    page = Page.parse(html, "https://example.org/")
    for element in page.root.iter():
        assert page.texts_within(element) == element.xpath(".//text()")


@pytest.mark.parametrize("words,word_start", [
    (("cc", "creative"), True), (("cc",), False), (("p1", "x", "a"), False), (("zzz",), False),
])
@pytest.mark.parametrize("html", SHAPES + [
    "<body><p>İİ CC BY</p><p>succes</p><p>Creative Commons</p><p>ÀCC</p></body>"])
def test_holding_finds_the_same_nodes_as_asking_each_node(html, words, word_start):
    page = Page.parse(html, "https://example.org/")
    for visible, nodes in ((False, page.texts), (True, page.visible_texts())):
        expected = []
        for index, node in enumerate(nodes):
            lowered = node.lower()
            for word in words:
                at = lowered.find(word)
                while at != -1 and word_start and at > 0 and lowered[at - 1].isalnum():
                    at = lowered.find(word, at + 1)
                if at != -1:
                    expected.append(index)
                    break
        assert page.holding(words, visible=visible, word_start=word_start) == expected


HEADINGS = [
    "<body><h2>Les</h2><p>a <a>x</a></p><div><h3>Bronnen</h3><ul><li>b</li></ul></div>"
    "<p>c</p><h2><span>in</span> kop</h2><p>d</p></body>",
    "<body><p>geen kop</p><div><p>ook niet</p></div></body>",
    "<body><section><h1>A</h1><h2>B<b>b</b></h2></section><section><p>x</p>"
    "<h4>C</h4></section><p>y</p></body>",
    "<html><head><title>T</title></head><body><h6>z</h6>" + "<p>p</p>" * 50 + "</body></html>",
]


@pytest.mark.parametrize("html", HEADINGS)
def test_heading_before_is_the_nearest_preceding_heading(html):
    page = Page.parse(html, "https://example.org/")
    heads = "self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    elements = list(page.root.iter())
    # Asked in document order, in reverse and again: the remembered answers agree.
    for element in elements + elements[::-1] + elements:
        expected = element.xpath(f"preceding::*[{heads}][1]")
        assert page.heading_before(element) is (expected[0] if expected else None)
