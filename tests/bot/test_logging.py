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


@pytest.mark.usefixtures("restore_root_logging")
def test_debug_payloads_lose_their_token_and_response_url_in_every_shape() -> None:
    stream = io.StringIO()
    configure_logging(log_format="text", level="DEBUG", stream=stream)
    log = logging.getLogger("policybot.test.payloads")  # as slack_bolt and slack_sdk log them
    hook = "https://hooks.slack.com/commands/T0TEST/123/abcSECRET"
    payload = {"token": "legacy-verification-token", "response_url": hook, "text": "help"}
    log.debug("payload as a dict: %s", payload)
    log.debug("payload as JSON: %s", json.dumps({"envelope_id": "e1", "payload": payload}))
    log.debug("raw frame: %s", json.dumps(json.dumps(payload)))  # JSON inside a JSON string
    log.debug("form body: token=legacy-verification-token&response_url=https%3A%2F%2Fhooks")
    log.debug("posting to %s", hook.replace("/", "\\/"))  # slack_sdk's escaped-slash form
    text = stream.getvalue()
    assert "legacy-verification-token" not in text
    assert "abcSECRET" not in text and "https%3A" not in text
    assert text.count(REDACTED) == 9
    # What is not secret stays readable.
    assert "'text': 'help'" in text and '"envelope_id": "e1"' in text


def test_a_field_merely_mentioning_a_token_is_left_alone() -> None:
    from bot.logging import RedactingFilter

    redact = RedactingFilter().redact
    assert (
        redact("the token count is 3; next_cursor=abc") == "the token count is 3; next_cursor=abc"
    )
    assert redact('{"bot_token": "t1", "tokens": 2}') == '{"bot_token": "[redacted]", "tokens": 2}'
