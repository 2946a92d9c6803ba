"""Refuse connections to loopback, private, link-local and other non-public addresses.

A research crawler follows links and redirects written by strangers, so a page (or a redirect
from it) pointing at ``127.0.0.1``, ``10.0.0.5``, ``169.254.169.254`` or a DNS name resolving
there must not make us a proxy into the machine's own network (SSRF). Two layers:

- :func:`is_address_allowed` is the pure decision for one host or IP (every spelling: dotted,
  decimal ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f000001``, short ``127.1``, IPv6 incl.
  IPv4-mapped, ``localhost``). The downloader middleware calls it before a request is sent, so a
  refused request becomes a ``rejected`` row with a clear reason.
- :class:`GuardedResolver` is installed as Twisted's name resolver (``TWISTED_DNS_RESOLVER``):
  every connection, also after redirects and for DNS names, resolves through it, and addresses
  that are not allowed are dropped, so the connection never happens (DNS rebinding included).

``allow_private`` is granted per *endpoint* (host and port of a site configured with
``allow_private``): tests and the demo run on 127.0.0.1, and another loopback port or address
(an "internal" service) stays refused.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from typing import Any

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# Names that resolve to the machine itself or the local network on common setups.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
_NUM = re.compile(r"^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)
ALLOWED_SCHEMES = ("http", "https")


def parse_ip(host: str) -> IPAddress | None:
    """An IP address in any spelling ``inet_aton`` accepts, or IPv6; ``None`` for names."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if "%" in host:  # IPv6 zone id (fe80::1%eth0)
        host = host.split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUM.match(p) for p in parts):
        return None
    try:
        nums = [int(p, 16) if p.startswith("0x") else int(p, 8) if p.startswith("0") and p != "0" else int(p)
                for p in parts]
    except ValueError:
        return None
    # inet_aton: the last part fills the remaining bytes (a.b.c.d, a.b.c16, a.b24, a32).
    limits = {1: [2**32], 2: [256, 2**24], 3: [256, 256, 2**16], 4: [256, 256, 256, 256]}[len(nums)]
    if any(n >= lim for n, lim in zip(nums, limits, strict=True)):
        return None
    value = 0
    for n in nums[:-1]:
        value = value * 256 + n
    value = (value << (8 * (4 - len(nums) + 1))) + nums[-1] if len(nums) > 1 else nums[0]
    return ipaddress.IPv4Address(value)


def classify(ip: IPAddress) -> str | None:
    """Why an address is not public (``None`` when it is a global unicast address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return classify(mapped)
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 of an IPv4 address
            return classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:  # before is_private: Python counts 240.0.0.0/4 as both
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non_global"
    return None


# Kinds a site with allow_private may reach on its own endpoint. Multicast, unspecified
# (0.0.0.0 connects to the local host on Linux) and reserved are never a blog.
_PRIVATE_KINDS = {"loopback", "private", "link_local", "non_global"}


def is_address_allowed(host_or_ip: str, allow_private: bool) -> tuple[bool, str]:
    """Decide whether the crawler may connect to ``host_or_ip``.

    Returns ``(allowed, reason)``. DNS names other than the local ones are allowed here with the
    reason ``"dns name: checked when resolved"``; :class:`GuardedResolver` checks what they resolve
    to at connection time.
    """
    host = (host_or_ip or "").strip().lower().rstrip(".")
    if not host:
        return False, "empty host"
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return (True, "local name allowed for this site") if allow_private else (False, f"local name {host}")
    ip = parse_ip(host)
    if ip is None and re.fullmatch(r"[0-9.x]+", host):
        return False, f"malformed numeric host {host!r}"
    if ip is None:
        if not re.match(r"^[a-z0-9._-]+$", host) and not host.startswith("xn--"):
            try:
                host.encode("idna")
            except UnicodeError:
                return False, f"invalid host name {host!r}"
        return True, "dns name: checked when resolved"
    kind = classify(ip)
    if kind is None:
        return True, f"public address {ip}"
    if allow_private and kind in _PRIVATE_KINDS:
        return True, f"{kind} address {ip} allowed for this site"
    return False, f"{kind} address {ip}"


def endpoint_key(host: str, port: int | None, scheme: str = "http") -> tuple[str, int]:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port or (443 if scheme == "https" else 80)


class EndpointPolicy:
    """The endpoints (host, port) that may be private: the allow_private sites' own."""

    def __init__(self, endpoints: set[tuple[str, int]] | None = None):
        self._endpoints = set(endpoints or ())
        self._lock = threading.Lock()
        self.refused: list[tuple[str, int, str]] = []
        self._decisions: dict[tuple[str, int], tuple[bool, str]] = {}  # check() per endpoint, asked per request

    def add(self, host: str, port: int) -> None:
        with self._lock:
            self._endpoints.add(endpoint_key(host, port))
            self._decisions = {}

    def private_allowed(self, host: str, port: int) -> bool:
        return endpoint_key(host, port) in self._endpoints

    def check(self, host: str, port: int) -> tuple[bool, str]:
        """:func:`is_address_allowed` for ``host:port``, remembered (it depends on nothing else)."""
        decisions = self._decisions
        found = decisions.get((host, port))
        if found is None:
            found = decisions[(host, port)] = is_address_allowed(host, self.private_allowed(host, port))
        return found

    def check_resolved(self, host: str, port: int, ip: str) -> tuple[bool, str]:
        """A resolved address for ``host:port``: private only for an allowed endpoint."""
        allowed_private = self.private_allowed(host, port)
        parsed = parse_ip(ip)
        if parsed is None:
            return False, f"unparseable resolved address {ip!r}"
        kind = classify(parsed)
        if kind is None:
            return True, "public"
        if allowed_private and kind in _PRIVATE_KINDS:
            return True, f"{kind} allowed for this site"
        return False, f"{host} resolves to {kind} address {ip}"

    def note_refused(self, host: str, port: int, reason: str) -> None:
        with self._lock:
            self.refused.append((host, port, reason))


# --------------------------------------------------------------------------- Twisted resolver

#: The policy the resolver consults; ``crawl.run`` fills it from the site list before crawling.
POLICY = EndpointPolicy()


def _make_resolver_class() -> type:
    from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
    from zope.interface import implementer, provider

    @implementer(IHostnameResolver)
    class GuardedResolver:
        """Wraps the reactor's name resolver; drops addresses the endpoint policy refuses."""

        def __init__(self, reactor: Any, policy: EndpointPolicy):
            self.reactor = reactor
            self.policy = policy
            self.original = reactor.nameResolver

        @classmethod
        def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
            return cls(reactor, POLICY)

        def install_on_reactor(self) -> None:
            # Called by Scrapy's CrawlerProcess for the TWISTED_DNS_RESOLVER class (scrapy/crawler.py):
            # without it the guard would never see a name resolution.
            self.reactor.installNameResolver(self)

        def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,
                            addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:
            policy = self.policy
            ok, reason = policy.check(hostName, portNumber)
            if not ok:
                log.warning("refused connection to %s:%s (%s)", hostName, portNumber, reason)
                policy.note_refused(hostName, portNumber, reason)
                hostName = "invalid."  # resolve nothing: the connection fails as a DNS error

            @provider(IResolutionReceiver)
            class Filter:
                @staticmethod
                def resolutionBegan(resolution: Any) -> None:
                    resolutionReceiver.resolutionBegan(resolution)

                @staticmethod
                def addressResolved(address: Any) -> None:
                    allowed, why = policy.check_resolved(hostName, portNumber, getattr(address, "host", ""))
                    if allowed:
                        resolutionReceiver.addressResolved(address)
                    else:
                        log.warning("refused resolved address for %s:%s (%s)", hostName, portNumber, why)
                        policy.note_refused(hostName, portNumber, why)

                @staticmethod
                def resolutionComplete() -> None:
                    resolutionReceiver.resolutionComplete()

            return self.original.resolveHostName(Filter, hostName, portNumber, addressTypes, transportSemantics)

    return GuardedResolver


class _LazyResolver:
    """Import-time stand-in so ``crawl.guard.GuardedResolver`` loads Twisted only when used."""

    _cls: type | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.get()(*args, **kwargs)

    def get(self) -> type:
        if _LazyResolver._cls is None:
            _LazyResolver._cls = _make_resolver_class()
        return _LazyResolver._cls

    def from_crawler(self, crawler: Any, reactor: Any) -> Any:
        return self.get().from_crawler(crawler, reactor)


GuardedResolver = _LazyResolver()
