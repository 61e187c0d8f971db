"""The SSRF guard refuses everything but http(s) to public addresses."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from bot.sources.netguard import UnsafeURLError, check_url


def resolver_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> Iterable[str]:
        del host, port
        return list(addresses)

    return resolve


def test_public_https_url_is_allowed() -> None:
    check_url("https://www.gov.uk/feed", allow_private=False, resolver=resolver_to("151.101.0.144"))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/feed", "loopback"),
        ("http://[::1]/feed", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10:8080/", "private"),
        ("http://172.16.5.5/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://0.0.0.0/", "reserved"),
        ("http://100.64.1.1/", "carrier-grade"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://localhost:8000/", "internal name"),
        ("http://metadata.google.internal/computeMetadata/v1/", "internal name"),
    ],
)
def test_internal_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError, match=reason):
        check_url(url, allow_private=False, resolver=resolver_to("93.184.216.34"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/", "x"])
def test_non_http_schemes_are_refused_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="only http and https"):
        check_url(url, allow_private=True)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(UnsafeURLError, match=r"evil\.example is a private address"):
        check_url(
            "https://evil.example/feed",
            allow_private=False,
            resolver=resolver_to("93.184.216.34", "10.0.0.5"),
        )


def test_an_unresolvable_name_is_refused_with_the_reason() -> None:
    def fail(host: str, port: int) -> Iterable[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeURLError, match="does not resolve"):
        check_url("https://nowhere.invalid/", allow_private=False, resolver=fail)


def test_allow_private_lets_loopback_through() -> None:
    check_url("http://127.0.0.1:8080/feed", allow_private=True)


def test_credentials_in_the_url_never_reach_the_message() -> None:
    with pytest.raises(UnsafeURLError) as caught:
        check_url("http://user:s3cret@10.0.0.1/", allow_private=False)
    assert "s3cret" not in str(caught.value)


def test_url_without_host_is_refused() -> None:
    with pytest.raises(UnsafeURLError, match="no host"):
        check_url("https:///path", allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost./",
        "http://LocalHost:8000/",
        "http://metadata.google.internal./computeMetadata/v1/",
        "http://app.localhost/",
        "http://api.localhost.:8080/",
    ],
)
def test_internal_names_are_refused_whatever_the_dns_answers(url: str) -> None:
    """A trailing dot, capitals or a `.localhost` subdomain still name the machine itself
    (RFC 6761), even when the resolver is made to answer a public address."""
    with pytest.raises(UnsafeURLError, match="internal name"):
        check_url(url, allow_private=False, resolver=resolver_to("93.184.216.34"))
