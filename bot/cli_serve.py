"""`policybot serve [--host H] [--port N]`: the bot in HTTP mode under uvicorn.

Kept thin on purpose: settings, store, Bolt app, handlers, ASGI app, server. The schedule,
Socket Mode and signal handling hang off this function.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot import cli_common
from bot.app import build_app
from bot.config import MissingSettingError
from bot.deps import open_store
from bot.web import create_web_app
from handlers import register_all


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 3000,
) -> None:
    """Run the bot: POST /slack/events (commands, events, interactivity) and GET /healthz."""
    import uvicorn

    settings = cli_common.settings_or_exit()
    try:
        settings.require_bot_token()
        settings.require_signing_secret()
    except MissingSettingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    deps = open_store(settings)
    bolt_app = build_app(deps)
    register_all(bolt_app, deps)
    web_app = create_web_app(deps, bolt_app=bolt_app)
    uvicorn.run(web_app, host=host, port=port, log_level="warning", access_log=False)
