"""Logging for `serve`: human-readable lines or one JSON object per line, secrets redacted.

A filter on the handler rewrites every record before it is formatted: anything shaped like a
Slack token (`xoxb-…`, `xoxp-…`, `xapp-…`), the configured secret values themselves, the values
of `token`-named fields and of `response_url` (a URL anyone can post into the channel with, for
30 minutes) in JSON, Python reprs or form bodies, and Slack webhook URLs, become `[redacted]`,
in the message, its arguments and the formatted exception; control characters in the message
(a newline from a feed or a request) are escaped, so one record is one line. slack_sdk and Bolt
log whole payloads at debug level (a slash command carries its legacy verification `token` and
its `response_url`), so this is what keeps `--log-level debug` safe. Third-party loggers
(slack_bolt, slack_sdk, httpx, uvicorn, apscheduler) go through the same handler.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pydantic import SecretStr

from bot.config import Settings

LogFormat = Literal["text", "json"]

REDACTED = "[redacted]"
_TOKEN_RE = re.compile(r"\b(?:xox[abprse]|xapp)-[A-Za-z0-9-]+")
_SECRET_KEYS = r"(?:[A-Za-z]+_)?token|response_url"
# "token": "…" / 'token': '…' / \"token\": \"…\" (JSON inside a logged string).
_QUOTED_FIELD_RE = re.compile(rf"(\\?[\"'])({_SECRET_KEYS})\1(\s*:\s*)(\\?[\"']).*?\4")
_FORM_FIELD_RE = re.compile(rf"\b({_SECRET_KEYS})=[^&\s'\"]+")
_WEBHOOK_RE = re.compile(r"https?:\\?/\\?/hooks\.slack\.com[^\s\"',}]*")
# Control characters (line breaks, terminal escapes) in a message: text from outside (a feed, a
# request) must not start a forged log line nor drive the terminal.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime"}


def secret_values(settings: Settings) -> list[str]:
    """The configured secrets, to be blotted out of every log line."""
    secrets: list[SecretStr | None] = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.llm_api_key,
    ]
    values = [s.get_secret_value() for s in secrets if s is not None]
    # Very short values would blot out ordinary words; they are not real secrets anyway.
    return [v for v in values if len(v) >= 6]


def _escape_control(match: re.Match[str]) -> str:
    return ascii(match.group())[1:-1]


class RedactingFilter(logging.Filter):
    """Replaces token-shaped strings and known secret values in a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _QUOTED_FIELD_RE.sub(rf"\1\2\1\3\4{REDACTED}\4", text)
        text = _FORM_FIELD_RE.sub(rf"\1={REDACTED}", text)
        text = _WEBHOOK_RE.sub(REDACTED, text)
        return _TOKEN_RE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = _CONTROL_RE.sub(_escape_control, self.redact(message))
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(
    *,
    log_format: LogFormat = "text",
    level: int | str = logging.INFO,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route all logging to one redacting handler on `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(secrets))
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Chatty libraries: their INFO lines are noise for an operator.
    for name in (
        "httpx",
        "httpcore",
        "apscheduler",
        "alembic.runtime.migration",
        "slack_sdk.web",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
