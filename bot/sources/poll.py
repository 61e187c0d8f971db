"""One poll: sync the sources file, claim the due sources, fetch them concurrently, store.

Each source is claimed with a lease (an atomic UPDATE on `sources.lease_until`), so several
replicas on PostgreSQL never fetch one source at the same time. Fetching and parsing of all
claimed sources run concurrently (parsing off the event loop; on a poll of many sources, in
worker processes that also analyse each entry: `bot.developments.prepare`); storing is one short
transaction per source, so one source's failure (network, parse, or store) never touches
another. Failures back off exponentially through `next_due_at`.

`PollReport.development_ids` lists every development created or updated by the poll: the one
place where instant alerts pick up what to deliver.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

import httpx
from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.analysis.taxonomy import load_taxonomy
from bot.deps import Deps
from bot.developments.prepare import (
    AnalysisKey,
    analysis_key,
    analysis_pool,
    content_hash,
    parse_and_analyse,
    warm,
)
from bot.sources.entries import RawEntry
from bot.sources.fetch import Fetcher, FetchLimits, FetchResult
from bot.sources.parse import ParseError, ParseResult, describe_skipped, parse_body
from bot.sources.sources_file import load_sources_file, sync_sources
from store.dialect import process_identity
from store.models import FetchLog, Item, Source
from store.statistics import PlannerStatistics

log = logging.getLogger(__name__)

# Federal Register pages (newest first) are followed until one holds nothing new or changed
# for this store, at most this many: a first poll or a long outage catches up, an ordinary poll
# reads one or two pages. Without the store's view (`sources check`): the first few only.
MAX_FEDERAL_REGISTER_PAGES = 10
UNGUIDED_FEDERAL_REGISTER_PAGES = 3
MAX_BACKOFF = timedelta(hours=24)
_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "federal_register": "application/json",
    "govuk_search": "application/json",
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}


class UnknownSourceError(Exception):
    """`--source NAME` names no enabled source."""


class IngestFn(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        source: Source,
        entries: Sequence[RawEntry],
        now: datetime,
        settings: Any,
    ) -> Any: ...


@dataclass
class PollRow:
    source: str
    status: str  # ok | not_modified | error | busy
    new: int = 0
    updated: int = 0
    error: str | None = None
    seconds: float = 0.0
    bytes_received: int = 0
    header_bytes: int = 0
    http_status: int | None = None
    entries: int = 0
    skipped: int = 0  # entries left out as unusable (the reasons are in `error`)

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass
class PollReport:
    rows: list[PollRow] = field(default_factory=list)
    development_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[PollRow]:
        return [row for row in self.rows if row.failed]

    @property
    def exit_code(self) -> int:
        """docs/reference.md: 0 when every source was fetched, 3 when some failed."""
        return 3 if self.failed else 0

    @property
    def new(self) -> int:
        return sum(row.new for row in self.rows)

    @property
    def updated(self) -> int:
        return sum(row.updated for row in self.rows)


class PollProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, row: PollRow) -> None: ...


@dataclass(frozen=True)
class _Claimed:
    id: int
    name: str
    kind: str
    url: str
    selector: str | None
    etag: str | None
    last_modified: str | None
    jurisdictions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    primary: bool = False


def backoff_delay(interval_minutes: int, failures: int) -> timedelta:
    """The wait after `failures` consecutive failures: the interval, doubled per failure."""
    base = timedelta(minutes=max(interval_minutes, 1))
    delay: timedelta = base * int(2 ** min(max(failures - 1, 0), 20))
    cap: timedelta = max(MAX_BACKOFF, base)
    return delay if delay < cap else cap


def default_owner() -> str:
    return process_identity()


def _default_ingest() -> IngestFn:
    """Ingest with one cache for the whole poll: each source's call starts from what the
    previous one left (candidates, fingerprints), and the memory goes with the poll."""
    from bot.developments.ingest import (
        ingest_entries,  # heavy (the analysis modules): imported when polling
    )
    from bot.developments.ingest_cache import IngestCache

    return partial(ingest_entries, cache=IngestCache())


def claim_sources(
    deps: Deps,
    *,
    owner: str,
    names: Sequence[str] | None = None,
    all_sources: bool = False,
    lease: timedelta,
) -> tuple[list[_Claimed], list[str]]:
    """Lease the sources to poll now. Returns the claimed ones and the names held elsewhere.

    Raises `UnknownSourceError` when a requested name is not an enabled source.
    """
    now = deps.clock()
    with deps.sessions() as session:
        query = select(Source).where(col(Source.enabled).is_(True))
        if names:
            query = query.where(col(Source.name).in_(list(names)))
        elif not all_sources:
            query = query.where(
                or_(col(Source.next_due_at).is_(None), col(Source.next_due_at) <= now)
            )
        candidates = list(session.exec(query.order_by(col(Source.name))).all())
    if names:
        missing = sorted(set(names) - {s.name for s in candidates})
        if missing:
            raise UnknownSourceError(f"unknown or disabled source: {', '.join(missing)}")
    claimed: list[_Claimed] = []
    busy: list[str] = []
    for source in candidates:
        assert source.id is not None
        with deps.sessions() as session:
            statement = (
                update(Source)
                .where(col(Source.id) == source.id)
                .where(or_(col(Source.lease_until).is_(None), col(Source.lease_until) < now))
                .values(lease_owner=owner, lease_until=now + lease)
            )
            if not names and not all_sources:
                # Re-check due-ness inside the claim: another replica may just have polled it.
                statement = statement.where(
                    or_(col(Source.next_due_at).is_(None), col(Source.next_due_at) <= now)
                )
            result = session.execute(statement)
            session.commit()
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(
                _Claimed(
                    id=source.id,
                    name=source.name,
                    kind=source.kind,
                    url=source.url,
                    selector=source.selector,
                    etag=source.etag,
                    last_modified=source.last_modified,
                    jurisdictions=tuple(source.jurisdictions),
                    topics=tuple(source.topics),
                    primary=source.primary,
                )
            )
        else:
            busy.append(source.name)
    return claimed, busy


async def _parse(
    source: _Claimed | Source,
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    pool: Executor | None,
    key: AnalysisKey | None,
) -> ParseResult:
    """Parse a body off the event loop: in the analysis pool (entries analysed too) if any."""
    selector = source.selector
    if pool is not None:
        job = partial(
            parse_and_analyse,
            source.kind,
            body,
            url=url,
            content_type=content_type,
            selector=selector,
            key=key,
        )
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, job)
        except (BrokenExecutor, OSError, RuntimeError) as exc:
            # A worker died (killed, out of memory) or the pool is gone: parse here, and ingest
            # analyses the entries itself. (An error of the parse itself comes again below.)
            log.warning(
                "analysis worker failed (%s); parsing %s in the poll process",
                type(exc).__name__,
                source.name,
            )
    return await asyncio.to_thread(
        parse_body, source.kind, body, url=url, content_type=content_type, selector=selector
    )


async def fetch_and_parse(
    fetcher: Fetcher,
    source: _Claimed | Source,
    *,
    conditional: bool = True,
    pool: Executor | None = None,
    key: AnalysisKey | None = None,
    stored: Mapping[str, str] | None = None,
) -> tuple[FetchResult, ParseResult | None, str | None]:
    """Fetch a source (its pages, for federal_register) and parse it.

    Returns the first response, the parsed entries (None when not modified or failed) and an
    error message (None on success). With a `pool`, parsing and each entry's analysis for
    `key` run in it (`bot.developments.prepare`). `stored` (GUID -> content hash of the source's stored
    items) lets federal_register paging stop at the first page with nothing new or changed.
    """
    first = await fetcher.fetch(
        source.url,
        etag=source.etag if conditional else None,
        last_modified=source.last_modified if conditional else None,
        accept=_ACCEPT.get(source.kind, "*/*"),
    )
    if first.status == "not_modified":
        return first, None, None
    if not first.ok:
        return first, None, first.error
    if not first.body.strip() and first.http_status != 200:
        # EUR-Lex's firewall answers bots with "202 Accepted" and nothing in it.
        return first, None, f"empty response (HTTP {first.http_status})"
    # A page's identity is the configured URL, whatever it redirected to.
    base = source.url if source.kind == "page" else (first.final_url or source.url)
    try:
        parsed = await _parse(
            source, first.body, url=base, content_type=first.content_type, pool=pool, key=key
        )
    except ParseError as exc:
        return first, None, f"parse error: {exc}"
    pages = 1
    next_url = parsed.next_url
    limit = MAX_FEDERAL_REGISTER_PAGES if stored is not None else UNGUIDED_FEDERAL_REGISTER_PAGES
    fresh = _holds_news(parsed.entries, stored)
    while source.kind == "federal_register" and next_url and pages < limit and fresh:
        more = await fetcher.fetch(next_url, accept=_ACCEPT["federal_register"])
        first.bytes_received += more.bytes_received
        first.header_bytes += more.header_bytes
        if not more.ok:
            return first, None, f"page {pages + 1}: {more.error or more.status}"
        try:
            page = await _parse(
                source, more.body, url=next_url, content_type=more.content_type, pool=pool, key=key
            )
        except ParseError as exc:
            return first, None, f"page {pages + 1}: parse error: {exc}"
        parsed.entries.extend(page.entries)
        parsed.skipped.extend(page.skipped)
        next_url = page.next_url
        pages += 1
        fresh = _holds_news(page.entries, stored)
    return first, parsed, None


def _holds_news(entries: Sequence[RawEntry], stored: Mapping[str, str] | None) -> bool:
    """Whether a page has an entry the store lacks or holds in another version."""
    if stored is None:
        return True
    return any(
        stored.get(entry.guid)
        != (entry.analysis.digest if entry.analysis else content_hash(entry.title, entry.text))
        for entry in entries
    )


class _Poller:
    def __init__(
        self, deps: Deps, *, owner: str, ingest: IngestFn, pool: Executor | None = None
    ) -> None:
        self.deps = deps
        self.pool = pool
        self.owner = owner
        self.ingest = ingest
        # In first-seen order; a dict, as a first poll touches thousands (a list's `in` was
        # quadratic).
        self.development_ids: dict[int, None] = {}
        # Fetches run concurrently, but sources are stored one at a time in a fixed order (by
        # name): what clusters with what never depends on which server answered first.
        self._stored: dict[str, asyncio.Event] = {}
        self._previous: dict[str, str] = {}
        # A first poll loads thousands of items in seconds: keep the planner's view in step.
        self.statistics = PlannerStatistics(deps.engine)

    def set_order(self, names: Sequence[str]) -> None:
        ordered = sorted(names)
        self._stored = {name: asyncio.Event() for name in ordered}
        self._previous = dict(zip(ordered[1:], ordered[:-1], strict=True))

    async def poll_one(self, fetcher: Fetcher, source: _Claimed) -> PollRow:
        started = time.monotonic()
        started_at = self.deps.clock()
        row = PollRow(source=source.name, status="error")
        try:
            key = analysis_key(
                self.deps.settings.taxonomy_path,
                source.jurisdictions,
                source.topics,
                source.primary,
            )
            stored = (
                await asyncio.to_thread(self._stored_versions, source.id)
                if source.kind == "federal_register"
                else None
            )
            result, parsed, error = await fetch_and_parse(
                fetcher, source, pool=self.pool, key=key, stored=stored
            )
        except Exception as exc:  # a bug in one source's handling must not stop the poll
            log.exception("poll of %s failed", source.name)
            result, parsed, error = FetchResult(url=source.url, status="error"), None, repr(exc)
        row.bytes_received = result.bytes_received
        row.header_bytes = result.header_bytes
        row.http_status = result.http_status
        previous = self._previous.get(source.name)
        if previous is not None:
            await self._stored[previous].wait()
        try:
            await asyncio.to_thread(
                self._store, source, result, parsed, error, row, started_at, started
            )
        except Exception as exc:
            log.exception("storing %s failed", source.name)
            row.status, row.new, row.updated = "error", 0, 0
            row.error = f"store error: {type(exc).__name__}: {exc}"[:300]
            row.seconds = time.monotonic() - started
            await asyncio.to_thread(self._store_failure_only, source, row, started_at)
        finally:
            done = self._stored.get(source.name)
            if done is not None:
                done.set()
        return row

    def _stored_versions(self, source_id: int) -> dict[str, str]:
        """GUID -> content hash of the source's stored items (what paging compares with)."""
        with self.deps.sessions() as session:
            query = sa_select(col(Item.guid), col(Item.content_hash)).where(
                col(Item.source_id) == source_id
            )
            return {guid: digest for guid, digest in session.execute(query).tuples()}

    def _store(
        self,
        claimed: _Claimed,
        result: FetchResult,
        parsed: ParseResult | None,
        error: str | None,
        row: PollRow,
        started_at: datetime,
        started: float,
    ) -> None:
        outcome: object = None
        with self.deps.sessions() as session:
            source = session.get(Source, claimed.id)
            if source is None:
                row.error = "source was removed during the poll"
                return
            now = self.deps.clock()
            source.last_attempt_at = now
            if error is not None:
                self._mark_failure(source, error, now)
                row.status, row.error = "error", error
            elif parsed is None:
                row.status = "not_modified"
                self._mark_success(source, result, now, status="not_modified")
            else:
                outcome = self.ingest(
                    session,
                    source=source,
                    entries=parsed.entries,
                    now=now,
                    settings=self.deps.settings,
                )
                row.status = "ok"
                row.entries = len(parsed.entries)
                row.skipped = len(parsed.skipped)
                row.new = int(getattr(outcome, "new", 0))
                row.updated = int(getattr(outcome, "updated", 0))
                row.error = "; ".join(parsed.notes) or None
                source.last_skipped = row.skipped
                source.last_skipped_reason = (
                    describe_skipped(parsed.skipped) if parsed.skipped else None
                )
                for development_id in getattr(outcome, "development_ids", []) or []:
                    self.development_ids.setdefault(int(development_id), None)
                self._mark_success(source, result, now, status="ok")
            row.seconds = time.monotonic() - started
            session.add(source)
            session.add(self._log_row(claimed.id, row, started_at, now))
            session.commit()
        self.statistics.wrote(row.new)
        rewrite = getattr(outcome, "summaries_to_rewrite", None) if parsed is not None else None
        if rewrite and error is None:
            # After the commit: an LLM call never runs inside the poll's write transaction.
            from bot.developments.summaries import rewrite_summaries

            rewrite_summaries(
                self.deps.sessions, rewrite, settings=self.deps.settings, now=self.deps.clock()
            )

    def _store_failure_only(self, claimed: _Claimed, row: PollRow, started_at: datetime) -> None:
        with self.deps.sessions() as session:
            source = session.get(Source, claimed.id)
            if source is None:
                return
            now = self.deps.clock()
            source.last_attempt_at = now
            self._mark_failure(source, row.error or "error", now)
            session.add(source)
            session.add(self._log_row(claimed.id, row, started_at, now))
            session.commit()

    @staticmethod
    def _log_row(source_id: int, row: PollRow, started_at: datetime, now: datetime) -> FetchLog:
        return FetchLog(
            source_id=source_id,
            started_at=started_at,
            finished_at=now,
            status=row.status,
            http_status=row.http_status,
            bytes_received=row.bytes_received,
            new_items=row.new,
            updated_items=row.updated,
            error=row.error,
            duration_ms=int(row.seconds * 1000),
        )

    @staticmethod
    def _mark_success(source: Source, result: FetchResult, now: datetime, *, status: str) -> None:
        if status == "ok":
            # A response without validators clears the old ones: they describe another body.
            source.etag = result.etag
            source.last_modified = result.last_modified
        source.last_success_at = now
        source.last_status = status
        source.last_error = None
        source.consecutive_failures = 0
        source.next_due_at = now + timedelta(minutes=source.interval_minutes)
        source.lease_owner = None
        source.lease_until = None

    @staticmethod
    def _mark_failure(source: Source, error: str, now: datetime) -> None:
        source.consecutive_failures += 1
        source.last_status = "error"
        source.last_error = error[:1000]
        source.next_due_at = now + backoff_delay(
            source.interval_minutes, source.consecutive_failures
        )
        source.lease_owner = None
        source.lease_until = None


async def poll_sources_async(
    deps: Deps,
    *,
    names: Sequence[str] | None = None,
    all_sources: bool = False,
    progress: PollProgress | None = None,
    owner: str | None = None,
    ingest: IngestFn | None = None,
    sync_file: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PollReport:
    """Poll the due sources (or `names`, or all with `all_sources`) once."""
    started = time.monotonic()
    # A configuration error stops the whole poll here, reported once by the caller, rather
    # than failing (and backing off) every source in turn.
    load_taxonomy(deps.settings.taxonomy_path)
    if sync_file:
        specs, _ = load_sources_file(deps.settings.sources_file)
        with deps.sessions() as session:
            sync_sources(session, specs=specs, now=deps.clock())
            session.commit()
    limits = FetchLimits.from_settings(deps.settings)
    lease = timedelta(seconds=max(300.0, limits.total_seconds * (MAX_FEDERAL_REGISTER_PAGES + 2)))
    owner = owner or default_owner()
    claimed, busy = await asyncio.to_thread(
        claim_sources, deps, owner=owner, names=names, all_sources=all_sources, lease=lease
    )
    report = PollReport()
    report.rows.extend(
        PollRow(source=name, status="busy", error="being polled by another process")
        for name in busy
    )
    if progress is not None:
        progress.start(len(claimed))
    pool = analysis_pool(len(claimed))
    if pool is not None:
        try:
            warm(pool)
        except (OSError, RuntimeError) as exc:  # no processes here (sandbox, limits)
            log.warning("no analysis workers (%s); the poll works in one process", exc)
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
    poller = _Poller(deps, owner=owner, ingest=ingest or _default_ingest(), pool=pool)
    poller.set_order([source.name for source in claimed])

    async def run_one(fetcher: Fetcher, source: _Claimed) -> PollRow:
        row = await poller.poll_one(fetcher, source)
        if progress is not None:
            progress.advance(row)
        return row

    try:
        async with Fetcher(limits, transport=transport) as fetcher:
            rows = await asyncio.gather(*(run_one(fetcher, source) for source in claimed))
    finally:
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
    report.rows.extend(rows)
    report.rows.sort(key=lambda r: r.source)
    report.development_ids = list(poller.development_ids)
    report.seconds = time.monotonic() - started
    return report


def poll_sources(
    deps: Deps,
    *,
    names: Sequence[str] | None = None,
    all_sources: bool = False,
    progress: PollProgress | None = None,
    **options: Any,
) -> PollReport:
    """Synchronous `poll_sources_async` (runs its own event loop, in a thread if needed)."""

    def run() -> PollReport:
        return asyncio.run(
            poll_sources_async(
                deps, names=names, all_sources=all_sources, progress=progress, **options
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    box: dict[str, PollReport | BaseException] = {}

    def in_thread() -> None:
        try:
            box["report"] = run()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=in_thread, name="policybot-poll")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    report = box["report"]
    assert isinstance(report, PollReport)
    return report
