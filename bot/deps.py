"""What services and listeners need, passed explicitly (no module-level singletons)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.config import Settings
from store.db import SessionFactory, open_engine, session_factory

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: SessionFactory
    clock: Clock = field(default=system_clock)
    engine: Engine | None = None
    # Where slow Slack answers run once the request is acknowledged. `serve` gives a small
    # pool so heavy questions cannot starve the acknowledgements of new requests of CPU;
    # None runs them in the listener's own thread (tests, one-off commands).
    background: Executor | None = None


def open_store(
    settings: Settings, *, clock: Clock = system_clock, migrate_schema: bool = True
) -> Deps:
    """Connect to `DATABASE_URL`, bring the schema up to date, and bundle the dependencies.

    Raises `store.db.StoreUnavailableError` (one line) when the database cannot be used.
    """
    engine = open_engine(settings.database_url, migrate_schema=migrate_schema)
    return Deps(settings=settings, sessions=session_factory(engine), clock=clock, engine=engine)
