"""What `policybot serve` checks before it starts: each failure is one operator-facing line.

A sources file that cannot be read, a port out of range or already taken, and a
bot token Slack's `auth.test` refuses (or a Slack
API that cannot be reached at `SLACK_API_URL`), are found here, before the store is opened or
anything is logged as "serving".
"""

from __future__ import annotations

import socket

from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack.client import make_web_client
from bot.sources.sources_file import SourcesFileError, read_sources_text


def port_problem(host: str, port: int) -> str | None:
    """Why `serve` cannot listen on host:port, or None."""
    if not 1 <= port <= 65535:
        return f"--port {port} is out of range (1-65535)"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        return f"--host {host!r} is not an address to listen on ({exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host}:{port} ({exc.strerror or exc})"
    return None


def slack_token_problem(settings: Settings) -> str | None:
    """Why Slack does not accept SLACK_BOT_TOKEN (`auth.test`), or None."""
    client = make_web_client(settings, max_retries=0, timeout=10)
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        return f"Slack refused SLACK_BOT_TOKEN (auth.test: {error or 'error'})"
    except Exception as exc:  # URLError, timeouts, TLS errors: all say "not reachable"
        reason = str(getattr(exc, "reason", "") or exc).splitlines()[0][:200]
        return f"Slack is not reachable at SLACK_API_URL {settings.slack_api_url} ({reason})"
    return None


def sources_problem(settings: Settings) -> str | None:
    """Why the sources file that was named cannot be read (a typo, a directory), or None.

    Its content is checked by each poll and by `policybot sources check`.
    """
    path = settings.sources_file
    try:
        if path is not None:
            read_sources_text(path)
    except SourcesFileError as exc:
        return str(exc)
    return None
