"""Helpers shared by the command modules."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from bot.config import Settings


def settings_or_exit() -> Settings:
    """Settings for a command; an invalid setting is one line on stderr and exit 2."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ("setting",)
        typer.echo(f"error: invalid setting {str(loc[0]).upper()}: {first.get('msg')}", err=True)
        raise typer.Exit(2) from None
