"""SQLModel tables: the one place the schema is declared (Alembic migrations follow it).

Every datetime is timezone-aware UTC (`UTCDateTime`). Lists of codes are JSON (`StrList`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import StrList, UTCDateTime, utcnow


def _dt(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _now_dt(*, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index)
    )


# Plain functions, not the `list`/`dict` builtins: pydantic inspects a default factory's
# signature on every construction, and a builtin's costs ~0.1 ms (ten times a row's build).
def _empty_list() -> list[str]:
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


def _strlist() -> Any:
    return Field(default_factory=_empty_list, sa_column=Column(StrList(), nullable=False))


def _json() -> Any:
    return Field(default_factory=_empty_dict, sa_column=Column(JSON, nullable=False))


def _text(*, default: str = "") -> Any:
    return Field(default=default, sa_column=Column(Text, nullable=False))


class Source(SQLModel, table=True):
    """A watched source and its fetch state."""

    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=100)
    kind: str = Field(max_length=32)  # feed | federal_register | govuk_search | page
    url: str = _text()
    jurisdictions: list[str] = _strlist()
    topics: list[str] = _strlist()
    primary: bool = True
    interval_minutes: int = 60
    selector: str | None = Field(default=None, max_length=200)
    comment: str = _text()
    origin: str = Field(default="file", max_length=16)  # file | slack | file-removed
    added_by: str | None = Field(default=None, max_length=64)
    enabled: bool = True
    created_at: datetime = _now_dt()

    # Fetch state.
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_attempt_at: datetime | None = _dt()
    last_success_at: datetime | None = _dt()
    last_status: str | None = Field(default=None, max_length=32)  # ok | not_modified | error
    consecutive_failures: int = 0
    next_due_at: datetime | None = _dt(index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What the last read body left out: how many entries, and why (`bot.sources.parse.describe_skipped`).
    last_skipped: int = 0
    last_skipped_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Poll lease: on PostgreSQL several replicas never fetch one source at the same time.
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _dt()


class FetchLog(SQLModel, table=True):
    """One row per fetch attempt."""

    __tablename__ = "fetch_log"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    started_at: datetime = _now_dt(index=True)
    finished_at: datetime | None = _dt()
    status: str = Field(max_length=32)  # ok | not_modified | error
    http_status: int | None = None
    bytes_received: int = 0
    new_items: int = 0
    updated_items: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_ms: int = 0


class Development(SQLModel, table=True):
    """One real-world event, reported by one or more items."""

    __tablename__ = "developments"

    id: int | None = Field(default=None, primary_key=True)
    title: str = _text()
    summary: str = _text()
    jurisdictions: list[str] = _strlist()
    topics: list[str] = _strlist()
    importance: str = Field(default="low", max_length=8)  # high | medium | low
    confidence: float = 0.0
    # Why the tags and importance are what they are: matched terms, where, rules applied.
    evidence: dict[str, Any] = _json()
    published_at: datetime | None = _dt(index=True)
    first_seen_at: datetime = _now_dt(index=True)
    updated_at: datetime = _now_dt(index=True)
    # Bumped whenever the development gains an item or a page changes; briefings and alerts
    # compare it with what they have sent.
    revision: int = 1
    # pending: may be announced; never: backfill or not AI policy (stored, searchable, silent).
    announce: str = Field(default="pending", max_length=16, index=True)
    relevant: bool = True  # has at least one AI-policy topic
    # Title, summary and item titles/texts in one field: the full-text index reads it.
    search_text: str = _text()


class DevelopmentDate(SQLModel, table=True):
    """A date a development sets (its timeline): when it takes effect, is due, ends...

    Extracted from its items by `bot.analysis.dates`; replaced whenever the development's
    items change. `kind`: proposed | adopted | published | effective | deadline | ends.
    """

    __tablename__ = "development_dates"
    __table_args__ = (Index("ix_development_dates_kind_day", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    development_id: int = Field(foreign_key="developments.id", index=True)
    kind: str = Field(max_length=16)
    day: date
    precision: str = Field(default="day", max_length=8)  # day | month
    sentence: str = _text()
    item_id: int | None = Field(default=None, foreign_key="items.id")


class Item(SQLModel, table=True):
    """One entry of one source (a feed entry, a document, a watched page)."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_items_source_guid"),
        Index("ix_items_content_hash", "content_hash"),
        Index("ix_items_url", "url"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    development_id: int | None = Field(default=None, foreign_key="developments.id", index=True)
    guid: str = Field(max_length=1000)
    url: str = _text()  # canonical
    title: str = _text()
    text: str = _text()
    author: str | None = Field(default=None, max_length=300)
    doc_type: str | None = Field(default=None, max_length=64)  # e.g. Rule, Proposed Rule
    published_at: datetime | None = _dt(index=True)
    first_seen_at: datetime = _now_dt()
    updated_at: datetime = _now_dt()
    content_hash: str = Field(max_length=64)
    version: int = 1
    jurisdictions: list[str] = _strlist()
    topics: list[str] = _strlist()
    confidence: float = 0.0
    evidence: dict[str, Any] = _json()
    backfill: bool = False  # published long before first seen: never announced


class ItemVersion(SQLModel, table=True):
    """Earlier and current texts of a watched page, with what changed."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_item_versions"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True)
    version: int
    content_hash: str = Field(max_length=64)
    text: str = _text()
    added: str = _text()
    removed: str = _text()
    fetched_at: datetime = _now_dt()


class Briefing(SQLModel, table=True):
    """A claimed daily briefing for one channel and period (exactly-once ledger)."""

    __tablename__ = "briefings"
    __table_args__ = (UniqueConstraint("channel", "period", name="uq_briefings_channel_period"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32, index=True)
    period: str = Field(max_length=32)  # local date, e.g. 2026-11-26
    status: str = Field(default="claimed", max_length=16)  # claimed | posted | complete | failed
    window_start: datetime | None = _dt()
    window_end: datetime | None = _dt()
    parent_ts: str | None = Field(default=None, max_length=32)
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _dt()
    created_at: datetime = _now_dt()
    completed_at: datetime | None = _dt()
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    counts: dict[str, Any] = _json()


class BriefingPost(SQLModel, table=True):
    """One thread reply: a development (or an update of it) posted to a channel."""

    __tablename__ = "briefing_posts"
    __table_args__ = (
        UniqueConstraint("channel", "development_id", "revision", name="uq_briefing_posts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int | None = Field(default=None, foreign_key="briefings.id", index=True)
    channel: str = Field(max_length=32, index=True)
    development_id: int = Field(foreign_key="developments.id", index=True)
    revision: int = 1
    kind: str = Field(default="new", max_length=16)  # new | update
    position: int = 0
    thread_ts: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    status: str = Field(default="pending", max_length=16)  # pending | posted
    posted_at: datetime | None = _dt()


class Subscription(SQLModel, table=True):
    """Alerts wanted by a user (DM) or a channel."""

    __tablename__ = "subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    subscriber_kind: str = Field(max_length=16)  # user | channel
    subscriber_id: str = Field(max_length=32, index=True)
    jurisdictions: list[str] = _strlist()
    topics: list[str] = _strlist()
    min_importance: str | None = Field(default=None, max_length=8)
    mode: str = Field(default="instant", max_length=16)  # instant | daily
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _now_dt()
    paused_at: datetime | None = _dt()
    pause_reason: str | None = Field(default=None, max_length=200)
    last_digest_at: datetime | None = _dt()


class Delivery(SQLModel, table=True):
    """An alert for one development to one subscriber: claimed once, then marked sent."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "team_id", "subscriber_id", "development_id", "revision", name="uq_deliveries"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    subscriber_id: str = Field(max_length=32, index=True)
    subscription_id: int | None = Field(default=None, foreign_key="subscriptions.id", index=True)
    development_id: int = Field(foreign_key="developments.id", index=True)
    revision: int = 1
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | failed
    claimed_at: datetime = _now_dt()
    sent_at: datetime | None = _dt()
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=200)
    # The deliveries sent together in one message share a batch id; it is also written into
    # the message's metadata so a stale claim can be checked against the channel history.
    batch_id: str | None = Field(default=None, max_length=64, index=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    # The claim's lease, renewed while its holder sends; once lapsed, recovery may take over.
    lease_until: datetime | None = _dt()


class Lease(SQLModel, table=True):
    """A named lease that one process holds until it expires (scheduler jobs across replicas)."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=200)
    holder: str = Field(max_length=100)
    expires_at: datetime = _now_dt()


class KeyValue(SQLModel, table=True):
    """Small operational state: last poll, LLM token use per day, and the like."""

    __tablename__ = "kv"

    key: str = Field(primary_key=True, max_length=200)
    value: str = _text()
    updated_at: datetime = _now_dt()
