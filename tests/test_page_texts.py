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
