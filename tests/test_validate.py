"""Values people type: what import, options and settings accept, the mailer can use."""

import pytest

from oermonitor.mailer import address
from oermonitor.validate import email_problem, url_problem


@pytest.mark.parametrize("value", ["a..b@x.nl", ".a@x.nl", "a:b@x.nl", "a[b]@x.nl", "ä@x.nl",
                                   "a@b", "not-an-email", " a@x.nl", "a@x.nl\n", "a@@x.nl", ""])
def test_addresses_the_mailer_cannot_use_are_refused(value):
    assert email_problem("maintainer_email", value) == \
        f"maintainer_email is not a valid email address: {value!r}"


@pytest.mark.parametrize("value", ["a.jansen@school.nl", "a+pilot@sub.school.nl",
                                   "O.Brien@school.example"])
def test_accepted_addresses_make_valid_headers(value):
    assert email_problem("x", value) is None
    assert address(value, "Naam").addr_spec == value


@pytest.mark.parametrize("url, reason", [
    ("http://[::1/x", "url is malformed"),
    ("http://x.nl:99999/", "url is malformed"),
    ("http://x.nl/a\x00b", "url contains spaces or control characters"),
    ("https://x.nl/a b", "url contains spaces"),
    ("mailto:a@x.nl", "url must start with http:// or https://"),
    ("https:///p", "url has no valid host"),
    ("https://intranet/p", "url has no valid host"),
])
def test_bad_urls(url, reason):
    assert url_problem(url).startswith(reason)


@pytest.mark.parametrize("url", ["https://maken.wikiwijs.nl/1/a", "http://[::1]:8080/x",
                                 "http://localhost:5000/les", "HTTP://X.NL/A"])
def test_good_urls(url):
    assert url_problem(url) is None
