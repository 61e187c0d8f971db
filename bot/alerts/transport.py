"""Alerts over Slack: open the conversation, post, and look a batch up in the history.

`AlertTransport` is what delivery needs from Slack; `SlackAlertTransport` is the Web API one.
Slack's refusals become `DeliveryError`, whose code decides what happens next: a subscriber who
cannot be reached is paused, a transient failure is tried again, and one after which the
message may have arrived anyway (`ambiguous`) is settled through the history check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.blocks.alerts import ALERT_METADATA_EVENT
from bot.slack.client import FatalSlackError, RetryableSlackError, SlackPoster

__all__ = [
    "HISTORY_PAGES",
    "TRANSIENT_ERRORS",
    "UNREACHABLE_ERRORS",
    "AlertTransport",
    "DeliveryError",
    "SlackAlertTransport",
]

# Slack errors that mean "this subscriber cannot be reached": pause, do not retry forever.
UNREACHABLE_ERRORS = frozenset(
    {
        "cannot_dm_bot",
        "messages_tab_disabled",
        "user_not_found",
        "account_inactive",
        "user_disabled",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
    }
)
# Errors worth another try on the next run (the claim is released).
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "http_error",
        "connection_error",
    }
)
HISTORY_PAGES = 5


class DeliveryError(Exception):
    """Slack refused a call; `code` is Slack's error code (never contains a secret)."""

    def __init__(self, code: str, *, transient: bool | None = None) -> None:
        super().__init__(code)
        self.code = code
        self._transient = transient

    @property
    def unreachable(self) -> bool:
        return self.code in UNREACHABLE_ERRORS

    @property
    def transient(self) -> bool:
        if self._transient is not None:
            return self._transient and not self.unreachable
        return self.code in TRANSIENT_ERRORS

    @property
    def ambiguous(self) -> bool:
        """A transient failure after which the message may still have been posted (a
        timeout, a dropped connection, a 5xx); a rate-limit answer means it was not."""
        return self.transient and self.code not in ("ratelimited", "rate_limited")


class AlertTransport(Protocol):
    def open_conversation(self, subscriber_kind: str, subscriber_id: str) -> str: ...

    def post(self, channel: str, payload: dict[str, Any]) -> str: ...

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None: ...


def _slack_error_code(exc: SlackApiError) -> str:
    code = str(exc.response.get("error") or "")
    if exc.response.status_code == 429:
        return "ratelimited"
    if not code or exc.response.status_code >= 500:
        return code if code and code != "http_error" else "fatal_error"
    return code


class SlackAlertTransport:
    """Alerts over the Slack Web API. Posts go through the briefings' `SlackPoster` (one
    message per second per channel, `ratelimited` retried after Retry-After); the client's
    retry handlers cover 429s, 5xx and connection errors of the other calls."""

    def __init__(self, client: WebClient, *, poster: SlackPoster | None = None) -> None:
        self._client = client
        self._poster = poster if poster is not None else SlackPoster(client)

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except SlackApiError as exc:
            code = _slack_error_code(exc)
            raise DeliveryError(code) from None
        except (SlackClientError, OSError):
            raise DeliveryError("connection_error", transient=True) from None

    def open_conversation(self, subscriber_kind: str, subscriber_id: str) -> str:
        if subscriber_kind == "channel":
            return subscriber_id
        response = self._call(lambda: self._client.conversations_open(users=[subscriber_id]))
        return str(response["channel"]["id"])

    def post(self, channel: str, payload: dict[str, Any]) -> str:
        try:
            result = self._poster.post_message(
                channel,
                str(payload["text"]),
                payload.get("blocks"),
                metadata=payload.get("metadata"),
            )
        except FatalSlackError as exc:
            raise DeliveryError(exc.error, transient=False) from None
        except RetryableSlackError as exc:
            raise DeliveryError(exc.error, transient=True) from None
        return result.ts

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            kwargs: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest.timestamp():.6f}",
                "include_all_metadata": True,
                "limit": 200,
            }
            if cursor:
                kwargs["cursor"] = cursor
            response = self._call(lambda kw=kwargs: self._client.conversations_history(**kw))  # type: ignore[misc]
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                event_payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == ALERT_METADATA_EVENT
                    and event_payload.get("batch_id") == batch_id
                ):
                    return str(message.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None
