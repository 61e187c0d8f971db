"""`policybot demo`: the whole job offline on the bundled sample (see `bot/demo/run.py`)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import inspect
from sqlmodel import Session, select

from bot.demo.snapshot import demo_sources_toml
from store.db import open_engine
from store.models import Source, Subscription


def demo_source_names() -> set[str]:
    text = demo_sources_toml(base="http://127.0.0.1:9", now=datetime.now(UTC))
    return {entry["name"] for entry in tomllib.loads(text)["sources"]}


def team_data_in(database_url: str) -> str | None:
    """What in the store at `database_url` is not the demo's own (a team's sources or
    subscriptions), or None when the demo may use it. Reads only; creates nothing."""
    engine = open_engine(database_url, migrate_schema=False)
    try:
        with Session(engine) as session:
            tables = set(inspect(session.connection()).get_table_names())
            if Source.__tablename__ in tables:
                names = set(session.exec(select(Source.name)).all()) - demo_source_names()
                if names:
                    count = f"{len(names)} source{'s' if len(names) != 1 else ''}"
                    return f"{count} not from the demo (e.g. {min(names)!r})"
            if Subscription.__tablename__ in tables and session.exec(select(Subscription)).first():
                return "alert subscriptions"
    finally:
        engine.dispose()
    return None


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        database: Annotated[
            str | None,
            typer.Option(
                "--database",
                help="SQLAlchemy URL of an empty database (or one only the demo has used) "
                "instead of a temporary SQLite file; a store holding a team's sources is refused",
            ),
        ] = None,
    ) -> None:
        """Run the whole job offline on a bundled sample of sources; needs no settings.

        Serves 7 synthetic sources on 127.0.0.1, polls them into a store, prints the briefing
        and answers sample questions. It never posts to Slack and never reads your settings.
        """
        from bot.demo.run import run_demo

        if database is not None:
            found = team_data_in(database)
            if found is not None:
                typer.echo(
                    f"error: --database holds {found}; the demo needs an empty store of its own "
                    "(omit --database for a temporary one)",
                    err=True,
                )
                raise typer.Exit(2)
        result = run_demo(console=Console(), database_url=database)
        failed = [row for poll in result.polls for row in poll.rows if row.status == "error"]
        if failed:
            raise typer.Exit(3)
