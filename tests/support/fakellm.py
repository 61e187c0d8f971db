"""A fake LLM endpoint on loopback: answers like OpenAI-compatible or Anthropic APIs."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLM:
    """Answers like an OpenAI-compatible or Anthropic endpoint; records what it received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.reply_text = "BIS added 12 Chinese chip firms to the Entity List on Monday."
        self.delay = 0.0
        self.raw: bytes | None = None
        # Called while a request is being answered (what the caller holds meanwhile).
        self.during: Callable[[], None] | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if fake.during is not None:
                    fake.during()
                if fake.delay:
                    threading.Event().wait(fake.delay)
                if fake.raw is not None:
                    payload = fake.raw
                elif self.path.endswith("/chat/completions"):
                    payload = json.dumps(
                        {
                            "choices": [{"message": {"content": fake.reply_text}}],
                            "usage": {"prompt_tokens": 120, "completion_tokens": 30},
                        }
                    ).encode()
                else:
                    payload = json.dumps(
                        {
                            "content": [{"type": "text", "text": fake.reply_text}],
                            "usage": {"input_tokens": 100, "output_tokens": 20},
                        }
                    ).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return

        return Handler


@contextmanager
def serve_fake_llm() -> Iterator[tuple[FakeLLM, str]]:
    """A started fake LLM server and its base URL."""
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
