"""`policybot demo`: the whole job offline on the bundled sample (see `bot/demo/run.py`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        database: Annotated[
            str | None,
            typer.Option(
                "--database",
                help="SQLAlchemy URL of an empty database to use instead of a temporary SQLite file",
            ),
        ] = None,
    ) -> None:
        """Run the whole job offline on a bundled sample of sources; needs no settings."""
        from bot.demo.run import run_demo

        result = run_demo(console=Console(), database_url=database)
        failed = [row for poll in result.polls for row in poll.rows if row.status == "error"]
        if failed:
            raise typer.Exit(3)
