"""The real Bolt app behind the real ASGI app, served by uvicorn on 127.0.0.1 (port 0).

Requests are signed the way Slack signs them; replies through `response_url` land in the fake
Slack server (`tests/support/fakeslack.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack.app import build_app
from bot.slack.web import create_web_app
from handlers import register_all
from support.fakeslack import FakeSlack

SIGNING_SECRET = "test-signing-secret-policy"


def sign(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}


def command_body(
    text: str, *, response_url: str, user: str = "U0USER", channel: str = "C0CHAN"
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "policy",
            "user_id": user,
            "user_name": "tester",
            "command": "/policy",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0APP",
        }
    )


@dataclass
class Served:
    base_url: str
    fake: FakeSlack
    client: httpx.Client

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"content-type": content_type, **sign(body), **(headers or {})}
        return self.client.post(self.base_url + "/slack/events", content=body, headers=all_headers)

    def command(self, text: str, *, user: str = "U0USER", response_id: str = "1") -> httpx.Response:
        body = command_body(text, response_url=self.fake.response_url(response_id), user=user)
        return self.post(body)

    def wait_responses(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.fake.responses) >= count:
                return [payload for _id, payload in self.fake.responses]
            time.sleep(0.02)
        raise AssertionError(f"expected {count} response_url posts, got {self.fake.responses}")


@contextmanager
def serve_app(
    deps: Deps, fake: FakeSlack, *, extra: Callable[[App], None] | None = None
) -> Iterator[Served]:
    client = WebClient(token=fake.token, base_url=fake.url)
    bolt = build_app(deps, client=client, token_verification_enabled=False)
    register_all(bolt, deps)
    if extra is not None:
        extra(bolt)
    web = create_web_app(deps, bolt_app=bolt)
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(timeout=10) as http:
            yield Served(base_url=f"http://127.0.0.1:{port}", fake=fake, client=http)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
