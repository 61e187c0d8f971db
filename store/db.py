"""Engine, sessions and migrations.

SQLite runs in WAL mode with a busy timeout so the scheduler, the HTTP listener and a CLI
command can share one file; PostgreSQL needs nothing special. The schema is created and
upgraded only through Alembic (`migrate`), so both backends follow the same revisions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000

SessionFactory = Callable[[], Session]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class StoreUnavailableError(Exception):
    """`DATABASE_URL` cannot be used: malformed, an unknown backend or driver, or a database
    that cannot be opened. The message is one line and never holds the password."""


def is_in_memory(url: str) -> bool:
    """True for an SQLite URL naming no file (`sqlite://`, `sqlite:///`): it keeps nothing."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


def open_engine(url: str, *, migrate_schema: bool = True) -> Engine:
    """An engine for `url` whose database answered (and, by default, was migrated).

    Raises `StoreUnavailableError` (one line) instead of the driver's traceback.
    """
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise StoreUnavailableError(
            f"DATABASE_URL is not a usable SQLAlchemy URL ({_first_line(exc)})"
        ) from None
    except OSError as exc:
        raise StoreUnavailableError(
            f"DATABASE_URL {make_url(url).render_as_string(hide_password=True)}: {_first_line(exc)}"
        ) from None
    try:
        if migrate_schema:
            migrate(engine)
        else:
            with engine.connect():
                pass
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreUnavailableError(
            f"DATABASE_URL {shown}: cannot open the database ({_first_line(exc)})"
        ) from None
    return engine


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for `url`, tuned per backend."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
        if parsed.database in (None, "", ":memory:"):  # see is_in_memory
            kwargs["poolclass"] = StaticPool
        else:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 5
    return create_engine(url, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for
        # BEGIN IMMEDIATE claims and for correct SAVEPOINT behaviour).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # An in-memory database has no WAL; that is fine.
        with contextlib.suppress(Exception):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock at the start: two writers wait (busy_timeout)
        # instead of failing with "database is locked" on lock upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> SessionFactory:
    def _make() -> Session:
        return Session(engine, expire_on_commit=False)

    return _make


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """One session per job or listener call: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision`; safe to run again (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            return None
    return str(row[0]) if row else None
