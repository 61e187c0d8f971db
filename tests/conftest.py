"""Shared fixtures.

`engine` is a migrated, empty database: a temporary SQLite file, or the PostgreSQL database
named by POLICYBOT_TEST_DATABASE_URL (CI runs the suite once each way). On PostgreSQL the
schema is rebuilt once per session and every table is emptied before each test.

`POLICYBOT_TEST_NOW` runs the whole suite at another moment, and a test taking `moment` runs at
each of several (see tests/support/moments.py): no test may depend on the real date or TZ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from support.fakeslack import FakeSlack
from support.moments import MOMENTS, start_whole_run_travel, travel_to
from support.sourceserver import SourceServer

from bot.config import Settings
from bot.deps import Deps
from store.db import SessionFactory, make_engine, migrate, session_factory

PG_URL = os.environ.get("POLICYBOT_TEST_DATABASE_URL", "")

start_whole_run_travel()

# Tests never read the operator's environment or `.env`.
for _name in list(os.environ):
    if _name.startswith(("SLACK_", "POLICYBOT_")) and not _name.startswith("POLICYBOT_TEST_"):
        del os.environ[_name]
os.environ.pop("DATABASE_URL", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "moment" in metafunc.fixturenames:
        metafunc.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS), indirect=True)


@pytest.fixture
def moment(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The test runs with the clock (and the machine's TZ) at each of support.moments.MOMENTS."""
    when: datetime = request.param
    with travel_to(when):
        yield when


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    engine.dispose()
    yield PG_URL


@pytest.fixture
def database_url(tmp_path: Path, _pg_schema: str | None) -> str:
    if _pg_schema:
        return _pg_schema
    return f"sqlite:///{tmp_path / 'policybot.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    if eng.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return session_factory(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        sources_path=tmp_path / "sources.toml",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def deps(settings: Settings, sessions: SessionFactory, engine: Engine) -> Deps:
    return Deps(settings=settings, sessions=sessions, engine=engine)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started fake Slack Web API server on 127.0.0.1 (see tests/support/fakeslack.py)."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def source_server() -> Iterator[SourceServer]:
    """A started loopback server playing policy sources (see tests/support/sourceserver.py)."""
    with SourceServer() as server:
        yield server
