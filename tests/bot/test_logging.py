"""Log lines are readable or JSON, and never carry a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.logging import REDACTED, configure_logging, secret_values

BOT_TOKEN = "xoxb-1111-2222-abcdefABCDEF"
APP_TOKEN = "xapp-1-A111-222-deadbeef"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # configure_logging quietens some libraries; other tests expect their defaults back.
    quietened = ["httpx", "httpcore", "apscheduler", "alembic.runtime.migration", "slack_sdk.web"]
    levels = {name: logging.getLogger(name).level for name in quietened}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _settings() -> Settings:
    return Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_app_token=SecretStr(APP_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        _env_file=None,  # type: ignore[call-arg]
    )


def test_secret_values_lists_the_configured_secrets() -> None:
    assert set(secret_values(_settings())) == {BOT_TOKEN, APP_TOKEN, SIGNING_SECRET}


@pytest.mark.usefixtures("restore_root_logging")
def test_text_lines_are_human_readable_and_redacted() -> None:
    stream = io.StringIO()
    configure_logging(log_format="text", secrets=secret_values(_settings()), stream=stream)
    logging.getLogger("policybot.test").info("posting with %s and %s", BOT_TOKEN, SIGNING_SECRET)
    line = stream.getvalue()
    assert "INFO" in line and "policybot.test" in line and "posting with" in line
    assert BOT_TOKEN not in line and SIGNING_SECRET not in line
    assert line.count(REDACTED) == 2


@pytest.mark.usefixtures("restore_root_logging")
def test_json_lines_parse_and_carry_extras() -> None:
    stream = io.StringIO()
    configure_logging(log_format="json", stream=stream)
    logging.getLogger("policybot.poll").warning("source failed", extra={"source": "bis", "n": 3})
    record = json.loads(stream.getvalue().strip())
    assert record["level"] == "warning"
    assert record["logger"] == "policybot.poll"
    assert record["message"] == "source failed"
    assert record["source"] == "bis" and record["n"] == 3
    assert record["time"].endswith("+00:00")


@pytest.mark.usefixtures("restore_root_logging")
def test_token_shaped_strings_are_redacted_even_when_not_configured() -> None:
    stream = io.StringIO()
    configure_logging(log_format="json", stream=stream)
    logging.getLogger("slack_sdk").error("bad token xoxp-9-8-7 and xapp-1-x, body=%r", {"t": 1})
    text = stream.getvalue()
    assert "xoxp-9" not in text and "xapp-1" not in text
    assert json.loads(text)["message"].count(REDACTED) == 2


@pytest.mark.usefixtures("restore_root_logging")
def test_exceptions_and_extras_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging(log_format="json", secrets=[SIGNING_SECRET], stream=stream)
    log = logging.getLogger("policybot.serve")
    try:
        raise RuntimeError(f"auth failed for {BOT_TOKEN} with {SIGNING_SECRET}")
    except RuntimeError:
        log.exception("request failed", extra={"header": f"Bearer {BOT_TOKEN}"})
    text = stream.getvalue()
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text
    record = json.loads(text)
    assert "RuntimeError" in record["exception"]
    assert record["header"] == f"Bearer {REDACTED}"
