"""The SSRF guard's decisions, tested as functions (no traffic toward any of these addresses)."""

from __future__ import annotations

import ipaddress

import pytest

from crawl.guard import EndpointPolicy, GuardedResolver, is_address_allowed, parse_ip
from crawl.traps import same_site, trap_reason

REFUSED = [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("2130706433", "loopback"), ("0177.0.0.1", "loopback"),
    ("0x7f000001", "loopback"), ("0x7f.0.0.1", "loopback"), ("127.1", "loopback"), ("017700000001", "loopback"),
    ("localhost", "local name"), ("LOCALHOST.", "local name"), ("api.localhost", "local name"),
    ("::1", "loopback"), ("[::1]", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("10.0.0.1", "private"), ("10.255.255.255", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
    ("192.168.0.1", "private"), ("192.168.255.255", "private"), ("167772161", "private"),  # 10.0.0.1 as decimal
    ("169.254.169.254", "link_local"), ("169.254.0.1", "link_local"), ("fe80::1", "link_local"),
    ("fe80::1%eth0", "link_local"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("0", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "non_global"), ("2002:7f00:1::1", "loopback"),
    ("1.2.3.256", "malformed"),
]


@pytest.mark.parametrize(("host", "kind"), REFUSED)
def test_non_public_addresses_are_refused(host: str, kind: str) -> None:
    allowed, reason = is_address_allowed(host, allow_private=False)
    assert not allowed
    assert kind in reason


@pytest.mark.parametrize("host", ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2001:4860:4860::8888", "example.org",
                                  "blog.example.co.uk", "xn--bcher-kva.example"])
def test_public_addresses_and_names_pass_the_static_check(host: str) -> None:
    allowed, reason = is_address_allowed(host, allow_private=False)
    assert allowed, reason


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "192.168.1.10", "169.254.1.1", "localhost", "::1"])
def test_allow_private_admits_private_kinds(host: str) -> None:
    assert is_address_allowed(host, allow_private=True)[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255"])
def test_allow_private_never_admits_multicast_unspecified_or_reserved(host: str) -> None:
    assert not is_address_allowed(host, allow_private=True)[0]


def test_every_spelling_of_loopback_parses_to_the_same_address() -> None:
    want = ipaddress.IPv4Address("127.0.0.1")
    for spelling in ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.1", "127.0.1"]:
        assert parse_ip(spelling) == want, spelling
    assert parse_ip("example.org") is None


def test_allowance_covers_only_the_sites_own_endpoint() -> None:
    policy = EndpointPolicy({("127.0.0.1", 8080)})
    assert policy.check("127.0.0.1", 8080)[0]
    assert not policy.check("127.0.0.1", 8081)[0]  # another port: an "internal" service
    assert not policy.check("127.0.0.2", 8080)[0]  # another loopback address
    assert not policy.check("localhost", 8080)[0]  # another name for it
    assert policy.check_resolved("127.0.0.1", 8080, "127.0.0.1")[0]
    assert not policy.check_resolved("evil.example", 80, "10.0.0.7")[0]  # DNS name resolving inside
    assert not policy.check_resolved("evil.example", 80, "169.254.169.254")[0]
    assert policy.check_resolved("good.example", 80, "93.184.216.34")[0]


class _FakeUpstream:
    """A stand-in for the system resolver: answers from a table, sends nothing anywhere."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.asked: list[str] = []

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, transportSemantics="TCP"):
        from twisted.internet.address import IPv4Address

        self.asked.append(hostName)
        receiver.resolutionBegan(object())
        for ip in self.table.get(hostName, []):
            receiver.addressResolved(IPv4Address("TCP", ip, portNumber))
        receiver.resolutionComplete()
        return receiver


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:
        pass

    def addressResolved(self, address) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


def _resolve(policy: EndpointPolicy, upstream: _FakeUpstream, host: str, port: int) -> list[str]:
    class Reactor:
        nameResolver = upstream

    resolver = GuardedResolver.get()(Reactor(), policy)
    receiver = _Receiver()
    resolver.resolveHostName(receiver, host, port)
    assert receiver.complete
    return receiver.addresses


def test_resolver_drops_private_answers_of_dns_names_at_connection_time() -> None:
    upstream = _FakeUpstream({"rebind.example": ["10.0.0.5", "93.184.216.34"], "meta.example": ["169.254.169.254"],
                              "127.0.0.1": ["127.0.0.1"], "127.0.0.2": ["127.0.0.2"]})
    policy = EndpointPolicy({("127.0.0.1", 8080)})
    assert _resolve(policy, upstream, "rebind.example", 80) == ["93.184.216.34"]
    assert _resolve(policy, upstream, "meta.example", 80) == []
    assert _resolve(policy, upstream, "127.0.0.1", 8080) == ["127.0.0.1"]
    assert _resolve(policy, upstream, "127.0.0.1", 9999) == []  # same host, other port
    assert _resolve(policy, upstream, "127.0.0.2", 8080) == []
    assert "127.0.0.2" not in upstream.asked  # refused before asking the upstream resolver
    assert len(policy.refused) >= 4


@pytest.mark.parametrize(("url", "reason"), [
    ("http://b.example/2024/01/02/post/?replytocom=12", "trap_param_replytocom"),
    ("http://b.example/2024/01/post.html?showComment=1700000000000", "trap_param_showcomment"),
    ("http://b.example/2024/01/post.html?m=1", "trap_param_m"),
    ("http://b.example/?m=202401", "trap_param_m"),
    ("http://b.example/post/?utm_source=x", "trap_param_utm_source"),
    ("http://b.example/post/?PHPSESSID=abc", "trap_param_phpsessid"),
    ("http://b.example/2024/01/02/post/amp/", "trap_path"),
    ("http://b.example/calendar/2024-01/", "trap_path"),
    ("http://b.example/a/a/a/a/", "repeated_path_segment"),
    ("http://b.example/page/9999/", "archive_too_deep"),
    ("javascript:alert(1)", "scheme_javascript"),
    ("file:///etc/passwd", "scheme_file"),
    ("ftp://b.example/x", "scheme_ftp"),
    ("data:text/html,hi", "scheme_data"),
])
def test_trap_urls_are_named(url: str, reason: str) -> None:
    assert trap_reason(url) == reason


@pytest.mark.parametrize("url", ["http://b.example/2024/01/02/post/", "http://b.example/feed/?paged=3",
                                 "http://b.example/wp-json/wp/v2/comments?post=3&per_page=100&page=2",
                                 "http://b.example/feeds/123/comments/default?start-index=26&max-results=25"])
def test_normal_blog_urls_are_not_traps(url: str) -> None:
    assert trap_reason(url) is None


def test_same_site_compares_host_and_port() -> None:
    assert same_site("http://127.0.0.1:8080/a", "127.0.0.1:8080")
    assert not same_site("http://127.0.0.1:8081/a", "127.0.0.1:8080")
    assert same_site("https://www.example.org/x", "example.org")
    assert not same_site("http://example.org.evil.test/", "example.org")
