"""`policybot init`: create or migrate the database."""

from __future__ import annotations

import typer

from bot.cli import common as cli_common
from store.db import current_revision, make_engine, migrate


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init() -> None:
    """Create or migrate the database (idempotent)."""
    settings = cli_common.settings_or_exit()
    engine = make_engine(settings.database_url)
    migrate(engine)
    typer.echo(f"database ready at revision {current_revision(engine)}")
    engine.dispose()
