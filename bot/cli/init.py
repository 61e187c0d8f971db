"""`policybot init`: create or migrate the database."""

from __future__ import annotations

import typer

from bot.cli import common as cli_common
from store.db import current_revision, is_in_memory, open_engine


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init() -> None:
    """Create or migrate the database (idempotent)."""
    settings = cli_common.settings_or_exit()
    if is_in_memory(settings.database_url):
        typer.echo(
            "error: DATABASE_URL names an in-memory SQLite database, which keeps nothing; "
            "name a file, e.g. sqlite:///policybot.db",
            err=True,
        )
        raise typer.Exit(2)
    engine = open_engine(settings.database_url)
    typer.echo(f"database ready at revision {current_revision(engine)}")
    engine.dispose()
