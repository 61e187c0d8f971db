"""The Bolt app, built by a function (no module-level app).

`build_app` makes a bare `slack_bolt.App` with signature verification on; the listeners are
registered by `handlers.register_all(app, deps)`, which only `policybot serve` (and tests) call,
so `bot/` never imports `handlers/`.

`process_before_response=False`: in a long-running HTTP server Bolt answers Slack as soon as a
listener calls `ack()` and finishes the listener on its thread pool, so slow work never holds
the 3-second acknowledgement.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack.client import make_web_client

log = logging.getLogger(__name__)

GENERIC_ERROR = "Sorry, something went wrong on policybot's side. Please try again in a minute."


class _SameTokenWarningFilter(logging.Filter):
    """Drops Bolt's "`token` will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the
    environment by itself, and the client we give it holds that same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    token_verification_enabled: bool = True,
    socket_mode: bool = False,
) -> App:
    """A Bolt app for `deps`: bot token and (in HTTP mode) signing secret from settings.

    In HTTP mode every request's signature and timestamp are verified. Socket Mode requests
    come over Slack's authenticated WebSocket and carry no signature, so there the signing
    secret is optional.
    """
    settings = deps.settings
    if socket_mode:
        secret = settings.slack_signing_secret
        signing_secret = secret.get_secret_value() if secret is not None else ""
    else:
        signing_secret = settings.require_signing_secret()
    web_client = client if client is not None else make_web_client(settings)
    bolt_logger = logging.getLogger("policybot.bolt")
    if not any(isinstance(f, _SameTokenWarningFilter) for f in bolt_logger.filters):
        bolt_logger.addFilter(_SameTokenWarningFilter())
    app = App(
        client=web_client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification_enabled,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        logger=bolt_logger,
    )

    @app.error
    def _on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
        # Logged for operators (without the body: it may hold user text); never shown to users.
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        if isinstance(body, dict) and body.get("command"):
            return BoltResponse(status=200, body=GENERIC_ERROR)
        return BoltResponse(status=200, body="")

    return app
