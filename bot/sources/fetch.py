"""Fetching sources over HTTP: polite, bounded, and never able to hang or flood the bot.

One `Fetcher` per poll. Every fetch has connect/read time-outs and a total deadline (a body
that drips a byte a second is cut off), a size cap checked while streaming (a 20 MB body
stops at the cap, not after), at most 5 redirects each re-checked by the SSRF guard,
conditional GET with the stored validators, a descriptive User-Agent, bounded concurrency
overall and per host, and a least interval between requests to one host. A fetch never
raises: it returns a `FetchResult` whose `error` says what went wrong.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from bot.config import Settings
from bot.sources.netguard import Resolver, UnresolvableHostError, UnsafeURLError, public_addresses

MAX_REDIRECTS = 5
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def user_agent() -> str:
    try:
        version = metadata.version("policybot")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"policybot/{version} (AI-policy monitor; polite poller; +https://github.com/policybot)"


def _pinned_request(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], addresses: list[str]
) -> httpx.Request:
    """A GET that connects to the address the SSRF guard checked, not to a fresh lookup.

    The URL's host becomes that address; `Host` and TLS SNI (hence certificate checks) keep
    the real name. Without checked addresses (private sources allowed) the URL is used as is.
    """
    if not addresses:
        return client.build_request("GET", url, headers=headers)
    original = httpx.URL(url)
    if original.host == addresses[0]:
        return client.build_request("GET", url, headers=headers)
    pinned = original.copy_with(host=addresses[0])
    pinned_headers = {**headers, "Host": original.netloc.decode("ascii")}
    return client.build_request(
        "GET",
        pinned,
        headers=pinned_headers,
        extensions={"sni_hostname": original.host},
    )


class TooLargeError(Exception):
    pass


@dataclass
class FetchResult:
    url: str
    status: str  # ok | not_modified | error
    http_status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    bytes_received: int = 0  # body bytes as sent (compressed, if it was)
    header_bytes: int = 0  # status line and headers, so a 304 is not counted as free
    error: str | None = None
    seconds: float = 0.0
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10_000_000
    total_seconds: float = 30.0
    concurrency: int = 16
    per_host: int = 2
    host_interval_seconds: float = 1.0
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            max_bytes=settings.max_response_bytes,
            total_seconds=settings.fetch_timeout_seconds,
            concurrency=settings.fetch_concurrency,
            per_host=settings.fetch_per_host,
            host_interval_seconds=settings.fetch_host_interval_seconds,
            allow_private=settings.allow_private_sources,
        )


class _HostGate:
    """Per-host politeness: at most `per_host` requests at once and a gap between starts."""

    def __init__(self, per_host: int, interval: float) -> None:
        self._per_host = per_host
        self._interval = interval
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_start: dict[str, float] = {}

    def semaphore(self, host: str) -> asyncio.Semaphore:
        if host not in self._semaphores:
            self._semaphores[host] = asyncio.Semaphore(self._per_host)
        return self._semaphores[host]

    async def wait_turn(self, host: str) -> None:
        if self._interval <= 0:
            return
        async with self._locks[host]:
            last = self._last_start.get(host)
            now = time.monotonic()
            if last is not None and now - last < self._interval:
                await asyncio.sleep(self._interval - (now - last))
            self._last_start[host] = time.monotonic()


class Fetcher:
    """An async HTTP fetcher for one poll; use as `async with Fetcher(limits) as fetcher`."""

    def __init__(
        self,
        limits: FetchLimits,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.limits = limits
        self._transport = transport
        self._resolver = resolver
        self._global = asyncio.Semaphore(limits.concurrency)
        self._hosts = _HostGate(limits.per_host, limits.host_interval_seconds)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        total = self.limits.total_seconds
        self._client = httpx.AsyncClient(
            transport=self._transport,
            follow_redirects=False,  # followed by hand: every hop is checked and counted
            timeout=httpx.Timeout(min(20.0, total), connect=min(10.0, total)),
            headers={"User-Agent": user_agent(), "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(
                max_connections=self.limits.concurrency * 2,
                max_keepalive_connections=self.limits.concurrency,
            ),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET `url` within the limits; never raises (errors are in the result)."""
        started = time.monotonic()
        result = FetchResult(url=url, status="error")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result.request_headers = dict(headers)
        try:
            async with self._global:
                await self._follow(url, headers, result)
        except TimeoutError:
            result.status = "error"
            result.error = f"timed out: no complete response within {self.limits.total_seconds:g}s"
        except TooLargeError:
            result.status = "error"
            result.error = f"too large: response exceeds {self.limits.max_bytes} bytes"
        except UnresolvableHostError as exc:
            result.status = "error"
            result.error = f"network error: {exc}"[:300]
        except UnsafeURLError as exc:
            result.status = "error"
            result.error = f"refused: {exc}"
        except httpx.TimeoutException as exc:
            result.status = "error"
            result.error = f"timed out ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            result.status = "error"
            result.error = f"network error: {type(exc).__name__}: {exc}"[:300]
        except OSError as exc:
            result.status = "error"
            result.error = f"network error: {exc}"[:300]
        result.seconds = time.monotonic() - started
        if result.status == "error":
            result.body = b""
        return result

    async def _follow(self, url: str, headers: dict[str, str], result: FetchResult) -> None:
        assert self._client is not None, "use Fetcher as an async context manager"
        current = url
        # The total deadline starts when the first request may go out: time spent queueing
        # behind other sources (politeness, concurrency) is not this source's fault.
        deadline: float | None = None
        for hop in range(MAX_REDIRECTS + 1):
            addresses = await asyncio.to_thread(
                public_addresses,
                current,
                allow_private=self.limits.allow_private,
                resolver=self._resolver,
            )
            parts = urlsplit(current)
            host = (parts.hostname or "").lower()
            key = f"{host}:{parts.port}" if parts.port else host
            async with self._hosts.semaphore(key):
                await self._hosts.wait_turn(key)
                if deadline is None:
                    deadline = asyncio.get_running_loop().time() + self.limits.total_seconds
                async with asyncio.timeout_at(deadline):
                    request = _pinned_request(self._client, current, headers, addresses)
                    response = await self._client.send(request, stream=True)
                    try:
                        redirect = (
                            response.status_code in _REDIRECT_CODES
                            and "location" in response.headers
                        )
                        if not redirect:
                            await self._read(response, result)
                    finally:
                        await response.aclose()
            if not redirect:
                result.final_url = current
                return
            if hop == MAX_REDIRECTS:
                result.http_status = response.status_code
                result.error = f"too many redirects (more than {MAX_REDIRECTS})"
                return
            current = urljoin(current, response.headers["location"])

    async def _read(self, response: httpx.Response, result: FetchResult) -> None:
        result.http_status = response.status_code
        result.content_type = response.headers.get("content-type")
        result.header_bytes = 17 + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
        if response.status_code == 304:
            result.status = "not_modified"
            return
        if response.status_code >= 400 or response.status_code < 200:
            reason = response.reason_phrase or ""
            result.error = f"HTTP {response.status_code} {reason}".strip()
            return
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise TooLargeError
        chunks: list[bytes] = []
        size = 0
        # Decoded bytes are counted, so a small gzip bomb is capped too.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.limits.max_bytes:
                result.bytes_received = response.num_bytes_downloaded
                raise TooLargeError
            chunks.append(chunk)
        result.bytes_received = response.num_bytes_downloaded
        result.body = b"".join(chunks)
        result.etag = response.headers.get("etag")
        result.last_modified = response.headers.get("last-modified")
        result.status = "ok"
