"""The private-address guard: nothing is sent to loopback/private addresses unless allowed."""

import ipaddress
import socket

import pytest

from oermonitor import guard
from oermonitor.fetch import Fetcher
from oermonitor.settings import FetchSettings, Settings
from tests.support import make_certificate


def settings(**fetch) -> Settings:
    options = dict(backoff_base=0.01, per_host_delay=0, respect_robots_txt=False, timeout=2.0)
    options.update(fetch)
    return Settings(fetch=FetchSettings(**options))


class FakeInternet(guard.Resolver):
    """DNS for the tests: the named hosts resolve to our loopback server and count as
    public, like a real site would; every other name goes to the system resolver."""

    def __init__(self, names: dict[str, list[str]]):
        super().__init__(allow_private=False)
        self.names = names
        self.lookups: list[str] = []

    def lookup(self, host):
        self.lookups.append(host)
        return self.names[host] if host in self.names else super().lookup(host)

    def permits(self, host, address):
        return host in self.names or super().permits(host, address)


@pytest.mark.parametrize("spelling", [
    "127.0.0.1", "localhost", "2130706433", "0x7f000001", "127.1", "0177.0.0.1",
    "[::ffff:127.0.0.1]", "[64:ff9b::127.0.0.1]", "[64:ff9b:1::7f00:1]", "[2002:7f00:1::1]",
    "[::127.0.0.1]", "[::ffff:0:127.0.0.1]",
])
def test_loopback_spellings_are_blocked_and_nothing_is_sent(server, spelling):
    port = server.server_address[1]
    with Fetcher(settings()) as fetcher:
        result = fetcher.fetch(f"http://{spelling}:{port}/admin")
    assert result.availability == "blocked_private_address"
    assert "non-public address" in result.error
    assert result.status_code is None
    assert server.requests == []


@pytest.mark.parametrize("url", ["http://[::1]/", "http://0.0.0.0/", "http://localhost/",
                                 "https://127.0.0.1/"])
def test_other_local_urls_are_blocked(url):
    with Fetcher(settings()) as fetcher:
        assert fetcher.fetch(url).availability == "blocked_private_address"


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.251", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True),
    ("145.97.39.155", True), ("2a00:1450:4001:80b::200e", True), ("8.8.8.8", True),
    # IPv6 forms that carry an IPv4 address count as what they carry
    ("64:ff9b::7f00:1", False), ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::808:808", True),
    ("64:ff9b:1::a00:1", False), ("64:ff9b:1::808:808", False),
    ("2002:7f00:1::", False), ("2002:c0a8:101::1", False), ("2002:808:808::1", True),
    ("::7f00:1", False), ("::a00:1", False), ("::808:808", True),
    ("::ffff:0:7f00:1", False), ("::ffff:0:a00:1", False), ("::ffff:0:808:808", True),
])
def test_public_address_classification(address, public):
    assert guard.is_public(ipaddress.ip_address(address)) is public


def test_allow_private_networks_setting(server):
    url = server.route("/", "hallo")
    with Fetcher(settings(allow_private_networks=True)) as fetcher:
        assert fetcher.fetch(url).availability == "ok"


def test_allow_private_networks_environment(server, monkeypatch):
    monkeypatch.setenv("OERMONITOR_ALLOW_PRIVATE_NETWORKS", "1")
    url = server.route("/", "hallo")
    with Fetcher(settings()) as fetcher:
        assert fetcher.fetch(url).availability == "ok"


def test_connection_goes_to_the_checked_address_with_the_real_host_name(server):
    port = server.server_address[1]
    server.route("/les", "<p>les</p>")
    internet = FakeInternet({"maken.wikiwijs.example": ["127.0.0.1"]})
    with Fetcher(settings(), resolver=internet) as fetcher:
        result = fetcher.fetch(f"http://maken.wikiwijs.example:{port}/les")
        again = fetcher.fetch(f"http://maken.wikiwijs.example:{port}/les")
    assert result.availability == again.availability == "ok"
    # the system resolver cannot know this name: the pinned address was used
    assert server.requests[0].headers["host"] == f"maken.wikiwijs.example:{port}"
    # resolved once, then pinned: a changed DNS answer cannot reach the connection
    assert internet.lookups == ["maken.wikiwijs.example"]


def test_redirect_to_private_address_is_blocked_before_it_is_followed(server):
    port = server.server_address[1]
    server.route("/les", status=302, headers={"Location": f"http://localhost:{port}/admin"})
    server.route("/admin", "secret")
    internet = FakeInternet({"site.example": ["127.0.0.1"]})
    with Fetcher(settings(), resolver=internet) as fetcher:
        result = fetcher.fetch(f"http://site.example:{port}/les")
    assert result.availability == "blocked_private_address"
    assert result.final_url == f"http://localhost:{port}/admin"
    assert result.hops == [(f"http://site.example:{port}/les", 302)]
    assert server.hits("/admin") == 0


class FixedDNS(guard.Resolver):
    """A resolver whose answers are given, so no test asks a real DNS server."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer

    def lookup(self, host):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_name_with_any_private_address_is_blocked():
    with pytest.raises(guard.BlockedAddress, match="127.0.0.1"):
        guard.Resolver().addresses("localhost")
    with pytest.raises(guard.BlockedAddress, match="10.0.0.1"):
        FixedDNS(["8.8.8.8", "10.0.0.1"]).addresses("mixed.example")
    assert FixedDNS(["8.8.8.8"]).addresses("dns.example") == ("8.8.8.8",)


def test_unknown_host_is_unreachable():
    dns = FixedDNS(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with Fetcher(settings(), resolver=dns) as fetcher:
        result = fetcher.fetch("http://does-not-exist.example/")
    assert result.availability == "unreachable"
    assert result.error == "DNS: does-not-exist.example: Name or service not known"


def test_non_ascii_host_is_checked_and_sent_in_its_idna_form(server):
    port = server.server_address[1]
    server.route("/les", "<p>boeken</p>")
    internet = FakeInternet({"bücher.example": ["127.0.0.1"],
                             "xn--bcher-kva.example": ["127.0.0.1"]})
    with Fetcher(settings(), resolver=internet) as fetcher:
        result = fetcher.fetch(f"http://Bücher.example:{port}/les")
    assert result.availability == "ok" and "boeken" in result.text
    assert server.requests[-1].headers["host"] == f"xn--bcher-kva.example:{port}"
    assert set(internet.lookups) == {"bücher.example", "xn--bcher-kva.example"}


@pytest.fixture
def tls_server(server, tmp_path):
    """The loopback server speaking TLS with a self-signed certificate for
    maken.wikiwijs.example; records the SNI names clients ask for."""
    cert, context = make_certificate(tmp_path, "cert", "DNS:maken.wikiwijs.example")
    server.sni = []
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.cert = str(cert)
    return server


def test_tls_uses_the_host_name_while_connecting_to_the_pinned_address(tls_server):
    port = tls_server.server_address[1]
    tls_server.route("/les", "<p>veilig</p>")
    internet = FakeInternet({"maken.wikiwijs.example": ["127.0.0.1"],
                             "andere.example": ["127.0.0.1"]})
    with Fetcher(settings(), resolver=internet) as fetcher:
        untrusted = fetcher.fetch(f"https://maken.wikiwijs.example:{port}/les")
    with Fetcher(settings(), resolver=internet, ca_certs=tls_server.cert) as fetcher:
        trusted = fetcher.fetch(f"https://maken.wikiwijs.example:{port}/les")
        wrong_name = fetcher.fetch(f"https://andere.example:{port}/les")
    assert untrusted.availability == "unreachable"
    assert untrusted.error.startswith("TLS:") and "certificate" in untrusted.error
    assert trusted.availability == "ok" and "veilig" in trusted.text
    assert "maken.wikiwijs.example" in tls_server.sni
    assert wrong_name.availability == "unreachable" and wrong_name.error.startswith("TLS:")
    assert tls_server.hits("/les") == 1
