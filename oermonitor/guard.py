"""Private-address guard: oermonitor must not be talked into probing the local network.

A registered URL (or a redirect) could point at ``http://127.0.0.1/admin``,
``http://169.254.169.254/`` or a name that resolves there. Unless private
networks are allowed, such a host is refused before anything is sent.

A host is resolved once per `Resolver` (one per run) and the connection is then
made to exactly the addresses that were checked (`pinned_pool_classes`, for
urllib3; the catalogue client's requests adapter uses them too), so a DNS answer
that changes between the check and the connection cannot slip through.
Numeric spellings such as ``2130706433`` or ``0x7f000001`` are resolved by the
system resolver to the address they mean, and checked as such.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class BlockedAddress(Exception):
    """The host is or resolves to an address that may not be contacted."""


class ResolveFailed(Exception):
    """The host name could not be resolved."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


# IPv6 forms that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052),
# IPv4-translated (RFC 2765) and the deprecated IPv4-compatible form (::a.b.c.d).
_CARRIES_IPV4 = tuple(ipaddress.IPv6Network(net) for net in (
    "64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))
# Local-use NAT64 (RFC 8215): a site's own translator, never a public host.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def carried_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, ...), else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _CARRIES_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address.

    Loopback, private, link-local, multicast, unspecified, reserved and shared
    (CGNAT) ranges are not public. An IPv6 address that carries an IPv4 address
    (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, IPv4-compatible,
    IPv4-translated) counts as the IPv4 address it carries; local-use NAT64
    (64:ff9b:1::/48) is never public.
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip in _LOCAL_NAT64:
        return False
    ip = carried_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Pin:
    """The checked outcome for one host: the addresses to connect to, or why not."""

    addresses: tuple[str, ...] = ()
    blocked: str | None = None  # reason, when the host may not be contacted
    failure: ResolveFailed | None = None


class Resolver:
    """Resolves each host once, checks its addresses and remembers the outcome.

    Thread-safe. `allow_private` switches the check off but keeps the pinning.
    """

    def __init__(self, allow_private: bool = False):
        self.allow_private = allow_private
        self._pins: dict[str, Pin] = {}
        self._lock = threading.Lock()

    def addresses(self, host: str) -> tuple[str, ...]:
        """The checked addresses for `host`; raises BlockedAddress or ResolveFailed."""
        key = host.strip("[]").rstrip(".").lower()
        with self._lock:
            pin = self._pins.get(key)
        if pin is None:
            pin = self._resolve(key)
            with self._lock:
                # A transient failure is not remembered; the first answer otherwise wins.
                if pin.failure is None or not pin.failure.transient:
                    pin = self._pins.setdefault(key, pin)
        if pin.blocked:
            raise BlockedAddress(pin.blocked)
        if pin.failure:
            raise pin.failure
        return pin.addresses

    def _resolve(self, host: str) -> Pin:
        try:
            addresses = self.lookup(host)
        except socket.gaierror as exc:
            transient = exc.errno == socket.EAI_AGAIN
            return Pin(failure=ResolveFailed(f"DNS: {host}: {exc.strerror}", transient=transient))
        except UnicodeError:
            return Pin(failure=ResolveFailed(f"DNS: {host}: invalid host name"))
        for address in addresses:
            if not self.permits(host, address):
                return Pin(blocked=f"{host} is or resolves to the non-public address {address}")
        return Pin(addresses=tuple(addresses))

    def lookup(self, host: str) -> list[str]:
        """The addresses `host` stands for (the system resolver; numeric forms included)."""
        addresses: list[str] = []
        for *_, sockaddr in socket.getaddrinfo(_encoded(host), None, proto=socket.IPPROTO_TCP):
            address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
            if address not in addresses:
                addresses.append(address)
        return addresses

    def permits(self, host: str, address: str) -> bool:
        return self.allow_private or is_public(ipaddress.ip_address(address))


def _encoded(host: str) -> str | bytes:
    """`host` for `getaddrinfo`: a well-formed ASCII name as bytes, as the "idna" codec
    would give it (that codec, loaded on first use, costs more than the lookup of a
    cached name); anything else as is, for the codec to encode or refuse."""
    if host.isascii() and all(0 < len(label) < 64 for label in host.rstrip(".").split(".")):
        return host.encode("ascii")
    return host


# The mixin goes in front of urllib3's connection classes: type it as one of them.
if TYPE_CHECKING:
    _Connection = HTTPConnection
else:
    _Connection = object


class _PinnedMixin(_Connection):
    """Connects to the resolver's checked addresses, keeping `host` for Host/SNI/cert.

    With a `watchdog` (see `oermonitor.watchdog`), every socket is handed to it when
    it is connected or reused, so a deadline can end the exchange at any byte.
    """

    resolver: Resolver
    watchdog = None

    def _new_conn(self) -> socket.socket:
        try:
            addresses = self.resolver.addresses(self.host)
        except (BlockedAddress, ResolveFailed) as exc:
            raise NewConnectionError(self, str(exc)) from exc
        error: Exception = NewConnectionError(self, f"no address for {self.host}")
        for address in addresses:
            try:
                sock = create_connection((address, self.port), self.timeout,
                                         source_address=self.source_address,
                                         socket_options=self.socket_options)
            except TimeoutError:
                error = ConnectTimeoutError(self, f"connection to {self.host} timed out")
            except OSError as exc:
                error = NewConnectionError(self, f"failed to connect: {exc}")
            else:
                if self.watchdog is not None:
                    self.watchdog.watch(sock)
                return sock
        raise error

    def request(self, *args, **kwargs):
        if self.sock is not None and self.watchdog is not None:  # a reused connection
            self.watchdog.watch(self.sock)
        return super().request(*args, **kwargs)

    def getresponse(self):
        # Acknowledge the response's first segment at once. Servers that write the
        # headers and the body separately without TCP_NODELAY (Python's http.server,
        # many small apps) otherwise hold the body until our delayed ACK: +40 ms on
        # every request over a kept-alive connection.
        if QUICKACK is not None and self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        return super().getresponse()


def pinned_pool_classes(resolver: Resolver, watchdog=None) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes, by scheme, whose connections go only to addresses `resolver`
    approved (for a `PoolManager`'s ``pool_classes_by_scheme``)."""
    extra = {"resolver": resolver, "watchdog": watchdog}
    connection = type("PinnedHTTPConnection", (_PinnedMixin, HTTPConnection), extra)
    tls_connection = type("PinnedHTTPSConnection", (_PinnedMixin, HTTPSConnection), extra)
    return {
        "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": connection}),
        "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,),
                      {"ConnectionCls": tls_connection}),
    }
