"""What a stranger's request to HTTP mode may cost: bounded, refused early, never logged raw.

Each request goes to the real ASGI app (uvicorn on 127.0.0.1) with the real Bolt app behind it.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from support.fakeslack import FakeSlack
from support.policy_served import SIGNING_SECRET, Served, command_body, serve_app, sign

from bot.config import Settings
from bot.deps import Deps
from bot.logging import configure_logging
from bot.slack.request_guard import MAX_BODY_BYTES
from store.db import SessionFactory

FORGED = "x\n2026-01-01 00:00:00,000 ERROR   policybot.serve: FORGED LINE"


@pytest.fixture
def served(
    database_url: str,
    sessions: SessionFactory,
    engine: Engine,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> Iterator[Served]:
    settings = Settings(
        database_url=database_url,
        sources_path=tmp_path / "sources.toml",
        slack_bot_token=fake_slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        _env_file=None,  # type: ignore[call-arg]
    )
    deps = Deps(settings=settings, sessions=sessions, engine=engine)
    with serve_app(deps, fake_slack) as s:
        yield s


def _post(served: Served, content: bytes | Iterator[bytes], headers: dict[str, str]) -> int:
    url = served.base_url + "/slack/events"
    return served.client.post(url, content=content, headers=headers).status_code


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_a_body_over_the_limit_is_413_by_its_header_before_it_is_read(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = b"payload=" + b"A" * (MAX_BODY_BYTES + 1)
    assert _post(served, body, {"content-type": "application/x-www-form-urlencoded"}) == 413
    assert "AAAA" not in _logged(caplog)


def test_a_chunked_body_over_the_limit_is_413_once_the_limit_is_passed(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65_536 + 2):
            yield b"B" * 65_536

    assert _post(served, chunks(), {"content-type": "application/json"}) == 413


def test_a_signed_body_under_the_limit_is_served(served: Served) -> None:
    body = command_body("help", response_url=served.fake.response_url())
    assert served.post(body + "&pad=" + "p" * 50_000).status_code == 200


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("[" * 20_000 + "]" * 20_000, {"content-type": "application/json"}),
        (
            '{"type": "url_verification", "challenge": "c"}',
            {"content-type": "application/json", "x-slack-request-timestamp": "abc"},
        ),
        (
            "payload=" + "%7B" * 10_000,
            {
                "content-type": "application/x-www-form-urlencoded",
                # Superscript digits: str.isdigit() says yes, int() says no.
                "x-slack-request-timestamp": "¹²³".encode("latin-1"),  # type: ignore[dict-item]
                "x-slack-signature": "v0=00",
            },
        ),
        ("{}", {"content-type": "application/json", "x-slack-request-timestamp": "9" * 40}),
        ("{not json", {"content-type": "application/json", **sign("{}")}),
    ],
    ids=[
        "deep-json",
        "timestamp-abc",
        "superscript-digits",
        "huge-timestamp",
        "signature-of-other",
    ],
)
def test_every_malformed_unsigned_request_is_401_without_a_traceback(
    served: Served, caplog: pytest.LogCaptureFixture, body: str, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {"x-slack-signature": "v0=" + "0" * 64, **headers}
    assert _post(served, body.encode(), headers) == 401
    assert not any(record.exc_info or record.exc_text for record in caplog.records)
    assert body[:20] not in _logged(caplog)


def test_an_unsigned_body_never_reaches_the_log_and_cannot_forge_a_line(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = configure_logging(log_format="text", level="DEBUG", stream=stream)
    try:
        body = json.dumps({"token": "t", "text": FORGED})
        headers = {
            "content-type": "application/json",
            "user-agent": "agent-" * 1000,  # HTTP itself keeps newlines out of headers
            "x-slack-request-timestamp": "1",
            "x-slack-signature": "v0=1",
        }
        assert _post(served, body.encode(), headers) == 401
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert '"token"' not in _logged(caplog) and '"token"' not in text
    assert "refused 401" in text
    assert not any(line.startswith("2026-01-01") for line in text.splitlines())
    assert all(len(line) < 1000 for line in text.splitlines())


def test_a_log_message_holding_outside_text_stays_one_line() -> None:
    stream = io.StringIO()
    handler = configure_logging(log_format="text", stream=stream)
    try:
        logging.getLogger("policybot.test").warning("feed title: %s", FORGED + "\r\x1b[2J")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "\\nFORGED" not in lines[0] and "\\n2026-01-01" in lines[0]
    assert "\\r\\x1b[2J" in lines[0]
