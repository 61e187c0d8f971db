"""The fetcher over real httpx against the loopback source server: every bad source is
survived and reported with its reason."""

from __future__ import annotations

import asyncio
import gzip

import httpx
from support.sourceserver import SourceServer

from bot.sources.fetch import MAX_REDIRECTS, Fetcher, FetchLimits, FetchResult

LIMITS = FetchLimits(total_seconds=3.0, host_interval_seconds=0, allow_private=True)


def fetch(url: str, limits: FetchLimits = LIMITS, **kwargs: str | None) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(limits) as fetcher:
            return await fetcher.fetch(url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(run())


def test_ok_response_carries_body_validators_and_a_descriptive_user_agent(
    source_server: SourceServer,
) -> None:
    url = source_server.fixture(
        "/feed", "rss2_synthetic.xml", etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT"
    )
    result = fetch(url)
    assert result.status == "ok" and result.http_status == 200
    assert result.body.startswith(b"<?xml") and result.bytes_received == len(result.body)
    assert result.etag == '"v1"' and result.last_modified == "Wed, 25 Nov 2026 10:00:00 GMT"
    agent = source_server.requests_to("/feed")[0].headers["user-agent"]
    assert agent.startswith("policybot/") and "AI-policy monitor" in agent


def test_conditional_get_sends_validators_and_a_304_has_no_body(
    source_server: SourceServer,
) -> None:
    url = source_server.fixture("/feed", "rss2_synthetic.xml", etag='"v1"')
    result = fetch(url, etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT")
    sent = source_server.requests_to("/feed")[0].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert result.status == "not_modified" and result.body == b"" and result.http_status == 304


def test_http_500_is_an_error_with_the_status(source_server: SourceServer) -> None:
    result = fetch(source_server.route("/boom", status=500, body=b"oops"))
    assert result.status == "error" and result.error == "HTTP 500 Internal Server Error"


def test_a_slow_server_times_out(source_server: SourceServer) -> None:
    result = fetch(source_server.route("/slow", delay=10, body=b"late"))
    assert result.status == "error" and result.error is not None
    assert result.error.startswith("timed out")


def test_a_body_that_drips_forever_is_cut_off_by_the_total_deadline(
    source_server: SourceServer,
) -> None:
    result = fetch(source_server.route("/drip", drip=True, drip_interval=0.05))
    assert result.status == "error"
    assert result.error == "timed out: no complete response within 3s"


def test_a_20_mb_body_is_refused_as_too_large(source_server: SourceServer) -> None:
    limits = FetchLimits(total_seconds=20, host_interval_seconds=0, allow_private=True)
    declared = fetch(source_server.route("/huge", size=20_000_000), limits)
    assert declared.error == "too large: response exceeds 10000000 bytes"
    assert declared.bytes_received == 0, "refused from Content-Length before reading"
    streamed = fetch(source_server.route("/huge-chunked", size=20_000_000, chunked=True), limits)
    assert streamed.error == "too large: response exceeds 10000000 bytes"
    assert streamed.bytes_received <= 10_000_000 + 70_000, "stopped at the cap"


def test_the_cap_counts_decompressed_bytes(source_server: SourceServer) -> None:
    bomb = gzip.compress(b"\0" * 3_000_000)
    url = source_server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    limits = FetchLimits(max_bytes=1_000_000, host_interval_seconds=0, allow_private=True)
    assert fetch(url, limits).error == "too large: response exceeds 1000000 bytes"


def test_a_redirect_loop_stops_after_five_redirects(source_server: SourceServer) -> None:
    source_server.route("/a", redirect_to="/b")
    url = source_server.route("/b", redirect_to="{base}/a")
    result = fetch(url)
    assert result.status == "error"
    assert result.error == f"too many redirects (more than {MAX_REDIRECTS})"
    assert len(source_server.requests) == MAX_REDIRECTS + 1


def test_redirects_are_followed_and_the_final_url_kept(source_server: SourceServer) -> None:
    source_server.fixture("/new", "rss2_synthetic.xml")
    result = fetch(source_server.route("/old", redirect_to="/new"))
    assert result.status == "ok" and result.final_url == source_server.url + "/new"


def test_loopback_is_refused_unless_private_sources_are_allowed(
    source_server: SourceServer,
) -> None:
    url = source_server.fixture("/feed", "rss2_synthetic.xml")
    result = fetch(url, FetchLimits(host_interval_seconds=0, allow_private=False))
    assert result.status == "error" and result.error is not None
    assert result.error.startswith("refused:") and "loopback" in result.error
    assert source_server.requests == [], "refused before connecting"


def test_connection_refused_is_a_network_error() -> None:
    with SourceServer() as server:
        url = server.url + "/gone"
    result = fetch(url)
    assert result.status == "error" and result.error is not None
    assert result.error.startswith("network error")


def test_fetches_run_concurrently_within_the_limits() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, content=b"ok")

    async def run() -> list[FetchResult]:
        limits = FetchLimits(concurrency=3, per_host=2, host_interval_seconds=0, allow_private=True)
        async with Fetcher(limits, transport=httpx.MockTransport(handler)) as fetcher:
            urls = [f"http://h{i % 2}.test/{i}" for i in range(12)]
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    results = asyncio.run(run())
    assert all(r.ok for r in results)
    assert 1 < peak <= 3


def test_per_host_limit_holds_for_one_host() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, content=b"ok")

    async def run() -> None:
        limits = FetchLimits(concurrency=8, per_host=2, host_interval_seconds=0, allow_private=True)
        async with Fetcher(limits, transport=httpx.MockTransport(handler)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(f"http://one.test/{i}") for i in range(8)))

    asyncio.run(run())
    assert peak == 2


def _recording_transport(seen: list[httpx.Request], status: int = 200, **kw: str):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status in (301, 302):
            return httpx.Response(status, headers={"Location": kw["location"]})
        return httpx.Response(status, content=b"<rss/>")

    return httpx.MockTransport(handler)


def _public(host: str, port: int) -> list[str]:
    return {"www.gov.uk": ["151.101.0.144"], "evil.example": ["10.0.0.5"]}.get(host, [])


def test_the_connection_goes_to_the_checked_address_with_the_real_host_name() -> None:
    seen: list[httpx.Request] = []

    async def run() -> FetchResult:
        limits = FetchLimits(host_interval_seconds=0, allow_private=False)
        async with Fetcher(limits, transport=_recording_transport(seen), resolver=_public) as f:
            return await f.fetch("https://www.gov.uk/government/feed")

    assert asyncio.run(run()).ok
    (request,) = seen
    assert request.url.host == "151.101.0.144", "no second DNS lookup can re-point it"
    assert request.headers["host"] == "www.gov.uk"
    assert request.extensions["sni_hostname"] == "www.gov.uk", "certificates checked by name"


def test_a_redirect_to_an_internal_address_is_refused() -> None:
    for target in ("http://169.254.169.254/latest/meta-data/", "https://evil.example/x"):
        seen: list[httpx.Request] = []

        async def run() -> FetchResult:
            limits = FetchLimits(host_interval_seconds=0, allow_private=False)
            transport = _recording_transport(seen, 302, location=target)  # noqa: B023
            async with Fetcher(limits, transport=transport, resolver=_public) as f:
                return await f.fetch("https://www.gov.uk/feed")

        result = asyncio.run(run())
        assert result.status == "error" and result.error is not None
        assert result.error.startswith("refused:"), result.error
        assert len(seen) == 1, "the internal address was never requested"


def test_a_name_that_does_not_resolve_is_a_network_error_not_a_refusal() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    async def run() -> FetchResult:
        limits = FetchLimits(host_interval_seconds=0, allow_private=False)
        async with Fetcher(limits, transport=_recording_transport([]), resolver=nowhere) as f:
            return await f.fetch("https://feeds.invalid/rss")

    result = asyncio.run(run())
    assert (
        result.error == "network error: feeds.invalid does not resolve (Name or service not known)"
    )


def test_the_total_deadline_covers_every_redirect_hop(source_server: SourceServer) -> None:
    """Three hops of 0.5 s each never finish within a 1 s deadline, though each hop would."""
    source_server.route("/hop1", delay=0.5, redirect_to="/hop2")
    source_server.route("/hop2", delay=0.5, redirect_to="/hop3")
    source_server.route("/hop3", delay=0.5, body=b"<rss/>")
    limits = FetchLimits(total_seconds=1.0, host_interval_seconds=0, allow_private=True)
    result = fetch(source_server.url + "/hop1", limits)
    assert result.status == "error"
    assert result.error == "timed out: no complete response within 1s"
