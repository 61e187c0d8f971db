"""What a request to `/slack/events` may cost before its signature is checked.

Anyone on the network can reach HTTP mode, so until the Slack signature is verified a request
gets nothing but: a size check (the `Content-Length` header, then the bytes as they arrive,
stopping at `MAX_BODY_BYTES`: 413), a timestamp check (ASCII digits inside the 5-minute replay
window) and the HMAC check (401 otherwise). Its body is never parsed nor logged; the log gets one
bounded line with the reason, the length and the escaped client headers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request

# Slack's own payloads (commands, events, interactivity, view submissions) are a few kB; a
# modal full of inputs stays far below this.
MAX_BODY_BYTES = 1_000_000
REPLAY_WINDOW_SECONDS = 60 * 5
# A header value longer than this is cut in the log line.
LOGGED_HEADER_CHARS = 80


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused before Bolt saw it, and with which HTTP status."""

    status: int
    reason: str


TOO_LARGE = Refusal(413, "body too large")


async def read_bounded_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | Refusal:
    """The whole body, or `TOO_LARGE` as soon as the header or the bytes read pass `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return TOO_LARGE
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return TOO_LARGE
        chunks.append(chunk)
    return b"".join(chunks)


def check_signature(
    verifier: SignatureVerifier, body: bytes, timestamp: str | None, signature: str | None
) -> Refusal | None:
    """None when `body` carries a valid Slack signature made within the replay window."""
    if not timestamp or not signature:
        return Refusal(401, "no signature")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Refusal(401, "bad timestamp")
    if abs(time.time() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return Refusal(401, "stale timestamp")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return Refusal(401, "bad signature")
    return None


def escaped(value: str | None, limit: int = LOGGED_HEADER_CHARS) -> str:
    """`value` cut to `limit` characters, quoted, with every control character escaped."""
    if value is None:
        return "-"
    cut = value[:limit] + ("…" if len(value) > limit else "")
    return ascii(cut)


def refusal_summary(request: Request, refusal: Refusal, length: int | None) -> str:
    """One bounded log line about a refused request: nothing of its body but its length."""
    client = request.client.host if request.client is not None else "-"
    return (
        f"refused {refusal.status} ({refusal.reason}) from {escaped(client)}: "
        f"length {length if length is not None else escaped(request.headers.get('content-length'))}"
        f", content-type {escaped(request.headers.get('content-type'))}"
        f", user-agent {escaped(request.headers.get('user-agent'))}"
    )
