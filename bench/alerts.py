"""Alert matching: 1,000 subscribers x 200 new developments. Target: matching within 1 s.

Usage: python bench/alerts.py [--subscribers 1000] [--developments 200] [--seed 7]
                              [--database-url URL] [--naive-limit 0]

1. Builds a fresh store (a temporary SQLite file unless --database-url is given): N
   subscriptions (1-3 jurisdictions each, half with a topic filter, a fifth with a minimum
   importance, a tenth daily) and M developments updated just now (1-2 jurisdictions, one or
   two topics, a few marked never-to-announce), plus some earlier deliveries.
2. Ours: load subscriptions and candidate developments once, match them with the
   jurisdiction index (`match_developments`), drop what was delivered before, and build one
   Block Kit message per subscriber (`build_alert_message`), timed per phase. Nothing is sent.
3. Naive baseline in the same run: nested loops over subscriptions x developments with one
   database query per pair (load the development, check for an earlier delivery), the way a
   first version would be written. `--naive-limit K` runs it on the first K subscriptions only
   and scales the time linearly (reported as such); 0 runs it in full.

Prints a table and, as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import Session, col, select  # noqa: E402

from bot.alerts.matching import (  # noqa: E402
    alert_development,
    candidate_developments,
    delivered_keys,
    match_developments,
    subscription_matches,
)
from bot.alerts.subscriptions import describe_subscription  # noqa: E402
from bot.slack.blocks.alerts import AlertMessage, AlertSubscription, build_alert_message  # noqa: E402
from bot.vocab import IMPORTANCE, JURISDICTIONS, TOPICS  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402
from store.models import Delivery, Development, Subscription  # noqa: E402

CODES = list(JURISDICTIONS)


def build_store(url: str, *, subscribers: int, developments: int, seed: int, now: datetime) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        for i in range(subscribers):
            session.add(
                Subscription(
                    team_id="T1",
                    subscriber_kind="user",
                    subscriber_id=f"U{i:05d}",
                    jurisdictions=rng.sample(CODES, rng.randint(1, 3)),
                    topics=[rng.choice(TOPICS)] if rng.random() < 0.5 else [],
                    min_importance=rng.choice(IMPORTANCE) if rng.random() < 0.2 else None,
                    mode="daily" if rng.random() < 0.1 else "instant",
                    created_at=now - timedelta(days=3),
                )
            )
        devs = []
        for j in range(developments):
            dev = Development(
                title=f"Development {j}: new AI chip export rule",
                summary="A summary of what changed, two sentences long. " * 2,
                jurisdictions=rng.sample(CODES, rng.randint(1, 2)),
                topics=rng.sample(list(TOPICS), rng.randint(1, 2)),
                importance=rng.choice(IMPORTANCE),
                published_at=now - timedelta(hours=2),
                first_seen_at=now - timedelta(minutes=5),
                updated_at=now - timedelta(minutes=5),
                announce="never" if rng.random() < 0.05 else "pending",
            )
            session.add(dev)
            devs.append(dev)
        session.commit()
        # Some subscribers already had some of these (an earlier run).
        for j, dev in enumerate(devs[: developments // 10]):
            assert dev.id is not None
            session.add(
                Delivery(
                    team_id="T1",
                    subscriber_id=f"U{j:05d}",
                    development_id=dev.id,
                    revision=1,
                    status="sent",
                    claimed_at=now,
                )
            )
        session.commit()
    engine.dispose()


def run_ours(url: str, now: datetime) -> dict[str, float | int]:
    engine = make_engine(url)
    t0 = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        subs = list(
            session.exec(
                select(Subscription).where(
                    Subscription.mode == "instant", col(Subscription.paused_at).is_(None)
                )
            )
        )
        devs = candidate_developments(
            session, now=now, lookback=timedelta(days=7), development_ids=None
        )
        dev_ids = [d.id for d in devs if d.id is not None]
        exact, any_rev = delivered_keys(session, dev_ids)
    t_load = time.perf_counter()
    matches = match_developments(subs, devs)
    pending = {
        key: [
            m for m in ms if (key[0], key[2], m.development.id, m.development.revision) not in exact
        ]
        for key, ms in matches.items()
    }
    pending = {k: v for k, v in pending.items() if v}
    t_match = time.perf_counter()
    messages = 0
    blocks = 0
    pairs = 0
    for key, ms in pending.items():
        subs_by_id = {s.id: s for m in ms for s in m.subscriptions if s.id is not None}
        payload = build_alert_message(
            AlertMessage(
                developments=[
                    alert_development(
                        m.development,
                        m.subscriptions,
                        url=None,
                        is_update=(key[0], key[2], m.development.id or 0) in any_rev,
                    )
                    for m in ms
                ],
                subscriptions=[
                    AlertSubscription(id=i, label=describe_subscription(s))
                    for i, s in subs_by_id.items()
                ],
                batch_id="bench",
            )
        )
        messages += 1
        blocks += len(payload["blocks"])
        pairs += len(ms)
    t_build = time.perf_counter()
    engine.dispose()
    return {
        "load_s": t_load - t0,
        "match_s": t_match - t_load,
        "build_s": t_build - t_match,
        "total_s": t_build - t0,
        "messages": messages,
        "pairs": pairs,
        "blocks": blocks,
    }


def run_naive(url: str, now: datetime, limit: int) -> dict[str, float | int]:
    engine = make_engine(url)
    t0 = time.perf_counter()
    pairs = 0
    subscribers: set[str] = set()
    queries = 0
    with Session(engine) as session:
        subs = list(session.exec(select(Subscription).where(Subscription.mode == "instant")))
        dev_ids = [
            d
            for d in session.exec(
                select(Development.id).where(col(Development.updated_at) >= now - timedelta(days=7))
            )
        ]
        total_subs = len(subs)
        if limit:
            subs = subs[:limit]
        for sub in subs:
            for dev_id in dev_ids:
                dev = session.exec(select(Development).where(Development.id == dev_id)).one()
                queries += 1
                if dev.announce == "never" or not subscription_matches(sub, dev):
                    continue
                queries += 1
                seen = session.exec(
                    select(Delivery.id).where(
                        Delivery.subscriber_id == sub.subscriber_id,
                        Delivery.development_id == dev_id,
                        Delivery.revision == dev.revision,
                    )
                ).first()
                if seen is None:
                    pairs += 1
                    subscribers.add(sub.subscriber_id)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    scale = (total_subs / len(subs)) if limit and subs else 1.0
    return {
        "match_s": elapsed * scale,
        "measured_s": elapsed,
        "scaled": bool(limit and scale != 1.0),
        "subscriptions_run": len(subs),
        "queries": int(queries * scale),
        "pairs": int(pairs * scale),
        "messages": int(len(subscribers) * scale),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--developments", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--naive-limit", type=int, default=0)
    args = parser.parse_args()

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        build_store(
            url,
            subscribers=args.subscribers,
            developments=args.developments,
            seed=args.seed,
            now=now,
        )
        ours = run_ours(url, now)
        naive = run_naive(url, now, args.naive_limit)

    target = 1.0
    ours_matching = float(ours["load_s"]) + float(ours["match_s"])
    rows = [
        ("ours: load subscriptions + developments + deliveries", f"{ours['load_s']:.3f} s"),
        ("ours: match (jurisdiction index) + drop delivered", f"{ours['match_s']:.3f} s"),
        ("ours: matching total (load + match)", f"{ours_matching:.3f} s"),
        ("ours: build Block Kit messages", f"{ours['build_s']:.3f} s"),
        ("ours: messages built / pairs matched", f"{ours['messages']} / {ours['pairs']}"),
        ("ours: blocks in all messages", f"{ours['blocks']}"),
        (
            "naive: nested loops, query per pair" + (" (scaled)" if naive["scaled"] else ""),
            f"{naive['match_s']:.3f} s",
        ),
        ("naive: queries / pairs matched", f"{naive['queries']} / {naive['pairs']}"),
        ("speed-up (naive / ours matching)", f"{float(naive['match_s']) / ours_matching:.0f}x"),
        (
            "target: matching within",
            f"{target:.1f} s -> {'met' if ours_matching <= target else 'MISSED'}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"alerts bench: {args.subscribers} subscribers x {args.developments} developments")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "developments": args.developments,
                "ours_load_s": round(float(ours["load_s"]), 4),
                "ours_match_s": round(float(ours["match_s"]), 4),
                "ours_matching_s": round(ours_matching, 4),
                "ours_build_s": round(float(ours["build_s"]), 4),
                "messages_built": ours["messages"],
                "pairs_matched": ours["pairs"],
                "naive_matching_s": round(float(naive["match_s"]), 4),
                "naive_scaled": naive["scaled"],
                "naive_pairs_matched": naive["pairs"],
                "target_s": target,
                "target_met": ours_matching <= target,
            }
        )
    )


if __name__ == "__main__":
    main()
