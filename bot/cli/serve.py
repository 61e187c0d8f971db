"""`policybot serve [--host H] [--port N] [--log-format text|json]`: run the bot.

Settings, store, Bolt app, handlers, ASGI app; then `bot.service.serve_until_stopped` runs the
schedule (polls, briefings, alerts, digests) and the listener until SIGTERM or SIGINT:
HTTP mode under uvicorn, or Socket Mode when `SLACK_APP_TOKEN` is set.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Annotated, Literal

import typer

from bot.cli import common as cli_common
from bot.cli.serve_checks import port_problem, slack_token_problem, sources_problem
from bot.config import MissingSettingError
from bot.deps import open_store
from bot.logging import configure_logging, secret_values
from bot.service import serve_until_stopped
from bot.slack.app import build_app
from bot.slack.client import make_web_client
from bot.slack.socket_mode import SocketModeConnection, SocketModeError
from bot.slack.web import create_web_app, socket_mode_health_app
from handlers import register_all

log = logging.getLogger("policybot.serve")

# Slow `/policy` answers (search, ask) run on this many threads after the ack; on a small
# machine more would only take CPU from acknowledging new requests within Slack's 3 seconds.
ANSWER_WORKERS = 2


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 3000,
    log_format: Annotated[
        Literal["text", "json"],
        typer.Option("--log-format", help="Log lines as readable text or one JSON object each."),
    ] = "text",
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"],
        typer.Option("--log-level", help="Least severe level written."),
    ] = "info",
) -> None:
    """Run the bot: POST /slack/events (commands, events, interactivity), GET /healthz, and the
    schedule (polls, briefings, alerts); Socket Mode when SLACK_APP_TOKEN is set."""
    settings = cli_common.settings_or_exit()
    socket_mode = settings.slack_app_token is not None and bool(
        settings.slack_app_token.get_secret_value()
    )
    try:
        settings.require_bot_token()
        if not socket_mode:
            settings.require_signing_secret()
    except MissingSettingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    problem = sources_problem(settings) or port_problem(host, port) or slack_token_problem(settings)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    configure_logging(
        log_format=log_format, level=log_level.upper(), secrets=secret_values(settings)
    )
    deps = replace(
        open_store(settings),
        background=ThreadPoolExecutor(max_workers=ANSWER_WORKERS, thread_name_prefix="answers"),
    )
    bolt_app = build_app(deps, socket_mode=socket_mode)
    register_all(bolt_app, deps)
    client = make_web_client(settings)
    connection = (
        SocketModeConnection(
            bolt_app, settings.slack_app_token.get_secret_value(), api_url=client.base_url
        )
        if socket_mode and settings.slack_app_token is not None
        else None
    )
    web_app = (
        socket_mode_health_app(deps, connection.status)
        if connection is not None
        else create_web_app(deps, bolt_app=bolt_app)
    )
    log.info(
        "policybot serve starting (%s mode, %s store)",
        "Socket" if socket_mode else "HTTP",
        deps.engine.dialect.name if deps.engine is not None else "unknown",
    )
    try:
        serve_until_stopped(
            deps,
            bolt_app=bolt_app,
            web_app=web_app,
            host=host,
            port=port,
            client=client,
            socket_mode=connection,
        )
    except SocketModeError as exc:
        log.error("could not connect to Slack in Socket Mode (%s); check SLACK_APP_TOKEN", exc)
        raise typer.Exit(1) from None
