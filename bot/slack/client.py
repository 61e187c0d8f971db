"""The Slack Web API client and a paced poster.

`make_web_client` builds slack_sdk's `WebClient` at `SLACK_API_URL` with retry handlers for 429
(honouring `Retry-After`), 5xx and connection errors. `SlackPoster` posts messages at no more
than one per second per channel (Slack's documented limit for `chat.postMessage`), treats a
`ratelimited` error that arrives in an HTTP 200 body like a 429 (slack_sdk's retry handler only
looks at the status), and sorts Slack's error codes into "this channel cannot be posted to"
(`FatalSlackError`) and "try again later" (`RetryableSlackError`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.config import Settings

log = logging.getLogger(__name__)

# Errors after which posting to this channel again cannot succeed without a person acting
# (inviting the bot, fixing the token, unarchiving): fail the channel once, don't retry.
FATAL_CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
        "is_archived",
        "cannot_dm_bot",
        # The app's Messages tab is off (it is read-only in manifest.yml, so DMs still work).
        "messages_tab_disabled",
        "user_not_found",
        "missing_scope",
        "restricted_action",
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_blocks",
        "invalid_blocks_format",
    }
)
# Slack refused this message's content, not the channel: the same text without blocks may pass.
CONTENT_ERRORS = frozenset(
    {"msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format"}
)
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})

DEFAULT_MIN_INTERVAL = 1.0  # seconds between two messages to one channel


class SlackPostError(Exception):
    """Posting failed; `error` is Slack's error code (or a short description)."""

    def __init__(self, channel: str, error: str, *, status: int | None = None) -> None:
        self.channel = channel
        self.error = error
        self.status = status
        detail = f" (HTTP {status})" if status and status != 200 else ""
        super().__init__(f"posting to {channel} failed: {error}{detail}")


class FatalSlackError(SlackPostError):
    """Slack refused the channel itself (`channel_not_found`, `not_in_channel`, ...)."""


class RetryableSlackError(SlackPostError):
    """A transient failure (5xx, connection, rate limit) that outlasted the retries."""


@dataclass(frozen=True)
class PostResult:
    ts: str
    channel: str


def make_web_client(
    settings: Settings,
    *,
    backoff_factor: float = 0.5,
    max_retries: int = 3,
    timeout: int = 30,
) -> WebClient:
    """A `WebClient` at `settings.slack_api_url` with rate-limit, 5xx and connection retries.

    Raises `MissingSettingError` (one line, exit 2 in the CLI) when `SLACK_BOT_TOKEN` is unset.
    """
    calculator = BackoffRetryIntervalCalculator(backoff_factor=backoff_factor)
    handlers: list[RetryHandler] = [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=calculator),
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=calculator),
    ]
    return WebClient(
        token=settings.require_bot_token(),
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=handlers,
    )


def _retry_after(response: Any, default: float) -> float:
    headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return default
    return default


class SlackPoster:
    """Posts messages, at most one per `min_interval` seconds per channel.

    The pause is measured from when Slack answered the previous message to that channel, so the
    gap Slack sees between two arrivals is never shorter than `min_interval`. `clock` and
    `sleep` are injectable so tests can run the real pacing path on a fake clock. One poster
    may be shared by threads: each channel has its own lock.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_ratelimited_retries: int = 3,
    ) -> None:
        self.client = client
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._max_ratelimited_retries = max_ratelimited_retries
        self._last_answer: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.ratelimited_answers = 0  # 429s and 200-body `ratelimited`s seen by this poster

    def _lock_for(self, channel: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(channel, threading.Lock())

    def _pace(self, channel: str) -> None:
        last = self._last_answer.get(channel)
        if last is None:
            return
        wait = last + self.min_interval - self._clock()
        if wait > 0:
            self._sleep(wait)

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        thread_ts: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        unfurl: bool = False,
    ) -> PostResult:
        """Post one message (a thread reply when `thread_ts` is given); return its `ts`.

        Raises `FatalSlackError` when Slack refuses the channel, `RetryableSlackError` when a
        transient failure outlasts the retries.
        """
        with self._lock_for(channel):
            attempts = 0
            while True:
                self._pace(channel)
                try:
                    response = self.client.chat_postMessage(
                        channel=channel,
                        text=text,
                        blocks=[dict(b) for b in blocks] if blocks is not None else None,
                        thread_ts=thread_ts,
                        metadata=dict(metadata) if metadata is not None else None,
                        unfurl_links=unfurl,
                        unfurl_media=unfurl,
                    )
                except SlackApiError as exc:
                    self._last_answer[channel] = self._clock()
                    error = str(exc.response.get("error") or "unknown_error")
                    status = exc.response.status_code
                    if error in RATE_LIMIT_ERRORS or status == 429:
                        self.ratelimited_answers += 1
                        attempts += 1
                        if attempts <= self._max_ratelimited_retries:
                            delay = _retry_after(exc.response, self.min_interval)
                            log.info("slack rate-limited %s; retrying in %.1fs", channel, delay)
                            self._sleep(delay)
                            continue
                        raise RetryableSlackError(channel, error, status=status) from None
                    if error in FATAL_CHANNEL_ERRORS:
                        raise FatalSlackError(channel, error, status=status) from None
                    raise RetryableSlackError(channel, error, status=status) from None
                except (SlackClientError, OSError) as exc:
                    self._last_answer[channel] = self._clock()
                    # The exception text never holds the token (it is only in a header).
                    raise RetryableSlackError(channel, type(exc).__name__) from None
                self._last_answer[channel] = self._clock()
                return PostResult(ts=str(response["ts"]), channel=str(response["channel"]))

    def recent_messages(self, channel: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The channel's newest top-level messages with metadata; [] if unreadable."""
        try:
            response = self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=limit
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("cannot read the history of %s: %s", channel, type(exc).__name__)
            return []
        messages = response.get("messages") or []
        return [m for m in messages if isinstance(m, dict)]

    def thread_messages(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The messages of a thread with their metadata (`conversations.replies`); [] if unreadable."""
        try:
            response = self.client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("cannot read thread %s in %s: %s", thread_ts, channel, type(exc).__name__)
            return []
        messages = response.get("messages") or []
        return [m for m in messages if isinstance(m, dict)]
