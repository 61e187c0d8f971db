"""The `policybot` command line (typer + rich).

Each group of commands lives in its own `bot/cli/*.py` module with a `register(app)` function,
so features can grow without touching one shared file.
"""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import alerts as cli_alerts
from bot.cli import ask as cli_ask
from bot.cli import brief as cli_brief
from bot.cli import demo as cli_demo
from bot.cli import explain as cli_explain
from bot.cli import init as cli_store
from bot.cli import serve as cli_serve
from bot.cli import sources as cli_sources
from bot.config import MissingSettingError
from store.db import StoreUnavailableError

app = typer.Typer(
    name="policybot",
    help="Track AI export-control and AI-sovereignty policy; brief, answer and alert in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help: typer's rich panels label every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """policybot: AI export-control and AI-sovereignty policy, in Slack."""


for _module in (
    cli_store,
    cli_sources,
    cli_brief,
    cli_ask,
    cli_alerts,
    cli_serve,
    cli_demo,
    cli_explain,
):
    _module.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except (MissingSettingError, StoreUnavailableError) as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
