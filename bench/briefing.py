"""Briefing pacing: a 30-development briefing to a fake Slack that enforces 1 message/s/channel.

Usage: python bench/briefing.py [--developments 30] [--skip-baseline] [--database-url URL]

1. The fake Slack Web API server from the tests (`tests/support/fakeslack.py`) runs on loopback with
   `enforce_per_channel_rate=1.0`: a second `chat.postMessage` to a channel within one second
   is answered HTTP 429 with `Retry-After: 1`, as Slack documents.
2. Ours: `run_briefing` (claim, parent, one reply per development, each ts committed) through
   `SlackPoster` on the real slack_sdk `WebClient` (real clock, real sleeps) into a fresh store
   (temporary SQLite unless --database-url).
3. Naive baseline in the same run: the same 31 payloads posted back to back to another channel
   with `WebClient` + slack_sdk's `RateLimitErrorRetryHandler` (the usual recipe), which waits
   out each 429's Retry-After (plus slack_sdk's random jitter) and tries again.

The pacing floor is 31 s (31 messages, one per second; the first gap-free message makes the
strict minimum 30 s). Target (issue 4): at most 1.1x the floor, zero 429s. Prints a table and,
as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from pydantic import SecretStr  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from slack_sdk.errors import SlackApiError  # noqa: E402
from slack_sdk.http_retry import RateLimitErrorRetryHandler  # noqa: E402
from support.fakeslack import FakeSlack  # noqa: E402

from bot.briefings import preview_briefing, run_briefing  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import open_store  # noqa: E402
from bot.slack.client import SlackPoster, make_web_client  # noqa: E402
from store.db import session_scope  # noqa: E402
from store.models import Development, Item, Source  # noqa: E402


def seed(deps: Any, count: int) -> None:
    now = datetime.now(UTC)
    with session_scope(deps.sessions) as session:
        source = Source(
            name="bis", kind="feed", url="https://bis.example/feed", last_success_at=now
        )
        other = Source(name="news", kind="feed", url="https://news.example/feed", primary=False)
        session.add(source)
        session.add(other)
        session.flush()
        for n in range(count):
            dev = Development(
                title=f"Development {n}: revisions to advanced computing export controls",
                summary="The rule amends the Export Administration Regulations. " * 8,
                jurisdictions=["US", "NL"][: 1 + n % 2],
                topics=["export-controls"],
                importance=("high", "medium", "low")[n % 3],
                first_seen_at=now - timedelta(minutes=30 + n),
                published_at=now - timedelta(hours=n),
            )
            session.add(dev)
            session.flush()
            for src, url in (
                (source, f"https://bis.example/{n}"),
                (other, f"https://news.example/{n}"),
            ):
                session.add(
                    Item(
                        source_id=src.id or 0,
                        development_id=dev.id,
                        guid=url,
                        url=url,
                        content_hash=hashlib.sha256(url.encode()).hexdigest(),
                    )
                )


def run_ours(settings: Settings, fake: FakeSlack, count: int) -> dict[str, Any]:
    deps = open_store(settings)
    seed(deps, count)
    poster = SlackPoster(make_web_client(settings))
    before = fake.count_status(429)
    started = time.monotonic()
    outcome = run_briefing(deps, poster, channel="CBENCH")
    elapsed = time.monotonic() - started
    return {
        "messages": 1 + outcome.replies_posted,
        "seconds": elapsed,
        "http_429": fake.count_status(429) - before,
        "status": outcome.status,
    }


def run_naive(settings: Settings, fake: FakeSlack) -> dict[str, Any]:
    # The same payloads the briefing posted, replayed without pacing to another channel.
    deps = open_store(settings)
    rendered = preview_briefing(deps, channel="CNAIVE")
    assert rendered.parent is not None
    client = WebClient(
        token=fake.token,
        base_url=fake.url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=10)],
    )
    before = fake.count_status(429)
    failures = 0
    started = time.monotonic()
    parent = client.chat_postMessage(channel="CNAIVE", **rendered.parent)
    for reply in rendered.replies:
        try:
            client.chat_postMessage(channel="CNAIVE", thread_ts=parent["ts"], **reply)
        except SlackApiError:
            failures += 1
    elapsed = time.monotonic() - started
    return {
        "messages": 1 + len(rendered.replies) - failures,
        "seconds": elapsed,
        "http_429": fake.count_status(429) - before,
        "failed": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=30)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack(enforce_per_channel_rate=1.0) as fake:
        settings = Settings(
            database_url=args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}",
            slack_api_url=fake.url,
            slack_bot_token=SecretStr(fake.token),
            _env_file=None,  # type: ignore[call-arg]
        )
        ours = run_ours(settings, fake, args.developments)
        naive = None if args.skip_baseline else run_naive(settings, fake)

    floor = float(args.developments + 1)  # one message per second, as the issue counts it
    rows = [("ours (paced SlackPoster)", ours)]
    if naive is not None:
        rows.append(("naive (WebClient + RateLimitErrorRetryHandler)", naive))
    print(f"{'poster':<50} {'messages':>8} {'seconds':>8} {'x floor':>8} {'429s':>6}")
    for name, row in rows:
        print(
            f"{name:<50} {row['messages']:>8} {row['seconds']:>8.2f} "
            f"{row['seconds'] / floor:>8.3f} {row['http_429']:>6}"
        )
    print(
        f"pacing floor: {floor:.0f} s ({args.developments + 1} messages at 1/s per channel;"
        f" strictly {floor - 1:.0f} s between the first and the last);"
        f" ours is {ours['seconds'] / (floor - 1):.3f}x the strict floor"
    )
    target_met = ours["seconds"] <= 1.1 * floor and ours["http_429"] == 0
    print(f"target (<= 1.1x floor, zero 429s): {'met' if target_met else 'NOT met'}")
    figures = {
        "developments": args.developments,
        "floor_seconds": floor,
        "ours_seconds": round(ours["seconds"], 3),
        "ours_ratio_to_floor": round(ours["seconds"] / floor, 4),
        "strict_floor_seconds": floor - 1,
        "ours_ratio_to_strict_floor": round(ours["seconds"] / (floor - 1), 4),
        "ours_429s": ours["http_429"],
        "ours_messages": ours["messages"],
        "naive_seconds": round(naive["seconds"], 3) if naive else None,
        "naive_ratio_to_floor": round(naive["seconds"] / floor, 4) if naive else None,
        "naive_429s": naive["http_429"] if naive else None,
        "naive_messages": naive["messages"] if naive else None,
        "target_met": target_met,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
