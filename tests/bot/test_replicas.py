"""Two replicas at once: each source fetched once, one briefing, every alert once.

Two real worker processes share one database (the local PostgreSQL when
POLICYBOT_TEST_DATABASE_URL is set, else one SQLite file) and one fake Slack server, and run
what `serve`'s schedule runs, started at the same instant: a poll round (`run_poll_round`:
lease, then per-source claims, then instant alerts), the channel's briefing
(`run_briefings`: the claim ledger), and an alert round (`run_alert_round`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update
from support.fakeslack import FakeSlack
from support.moments import pythonpath
from support.servehelp import SIGNING_SECRET, start_serve

from bot.demo.run import demo_settings
from bot.demo.snapshot import ROUTES, demo_sources_toml, serve_snapshot
from bot.deps import open_store, system_clock
from bot.sources.poll import poll_sources
from store.models import BriefingPost, Delivery, Development, Source, Subscription

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "C0BRIEF"
SUBSCRIBER = "U0MANAGER"

_WORKER = textwrap.dedent(
    """
    import json, pathlib, sys, time
    from pydantic import SecretStr
    from bot.briefings import run_briefings
    from bot.config import Settings
    from bot.deps import open_store
    from bot.service import run_alert_round, run_poll_round
    from bot.slack.client import SlackPoster, make_web_client

    url, sources, slack_url, token, channel, name, start_at = sys.argv[1:8]
    settings = Settings(
        _env_file=None, database_url=url, sources_path=sources, allow_private_sources=True,
        fetch_host_interval_seconds=0.0, slack_bot_token=SecretStr(token), slack_api_url=slack_url,
        briefing_channels=[channel],
    )
    deps = open_store(settings, migrate_schema=False)
    client = make_web_client(settings)
    while time.time() < float(start_at):
        time.sleep(0.001)
    polled = run_poll_round(deps, holder=name, client=client)
    # Barrier: both rounds of polling are over before either briefs (as at 08:00 after a poll).
    barrier = pathlib.Path(sources).parent
    (barrier / f"polled-{name}").touch()
    while len(list(barrier.glob("polled-*"))) < 2:
        time.sleep(0.01)
    outcomes = run_briefings(deps, SlackPoster(client, min_interval=0.0), channels=[channel])
    alerted = run_alert_round(deps, holder=name, client=client)
    print(json.dumps({"polled": polled, "alerted": alerted,
                      "briefing": [o.status for o in outcomes]}))
    """
)


def _start_worker(
    name: str, *, database_url: str, sources: Path, fake: FakeSlack, start_at: float
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WORKER,
            database_url,
            str(sources),
            fake.url,
            fake.token,
            CHANNEL,
            name,
            str(start_at),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_replicas_fetch_each_source_once_and_post_one_briefing_and_each_alert_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        session.add(
            Subscription(
                team_id="T0TEST",
                subscriber_kind="user",
                subscriber_id=SUBSCRIBER,
                jurisdictions=["NL", "EU"],
                mode="instant",
            )
        )
        session.commit()

    with FakeSlack() as fake, serve_snapshot(clock=system_clock) as snapshot:
        sources = tmp_path / "sources.toml"
        sources.write_text(demo_sources_toml(base=snapshot.base_url, now=snapshot.now), "utf-8")
        start_at = time.time() + 3.0
        workers = [
            _start_worker(
                f"replica-{n}",
                database_url=database_url,
                sources=sources,
                fake=fake,
                start_at=start_at,
            )
            for n in (1, 2)
        ]
        reports = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
        fetched = Counter(
            path.split("?")[0] + ("?page=2" if "page=2" in path else "")
            for path in snapshot.requests
        )
        messages = fake.messages(CHANNEL)
        dm_messages = [m for m in fake.messages() if m.channel.startswith("D")]

    # Usually one replica polls and the other finds the round leased; if the first was done
    # before the second looked, the second found nothing due. Either way:
    assert any(r["polled"] for r in reports)
    # Every source (and the Federal Register's second page) was fetched exactly once.
    assert len(fetched) == len(ROUTES)
    assert set(fetched.values()) == {1}, fetched

    # Exactly one briefing: one parent, one reply per development, nothing twice.
    parents = [m for m in messages if not m.thread_ts]
    assert len(parents) == 1
    replies = [m for m in messages if m.thread_ts]
    assert replies and all(m.thread_ts == parents[0].ts for m in replies)
    statuses = sorted(s for r in reports for s in r["briefing"])
    assert statuses.count("complete") == 1
    with Session(engine) as session:
        posts = session.exec(select(BriefingPost).where(BriefingPost.channel == CHANNEL)).all()
        assert len(posts) == len(replies)
        assert len({p.development_id for p in posts}) == len(posts)

        # Every matching development alerted once, in as many DMs as there were batches.
        deliveries = session.exec(
            select(Delivery).where(Delivery.subscriber_id == SUBSCRIBER)
        ).all()
        assert deliveries, "no alert was delivered"
        assert all(d.status == "sent" for d in deliveries)
        assert len({d.development_id for d in deliveries}) == len(deliveries)
        assert len(dm_messages) == len({d.batch_id for d in deliveries})
        matching = session.exec(
            select(Development).where(col(Development.announce) != "never")
        ).all()
        assert {d.development_id for d in deliveries} <= {d.id for d in matching}


def test_two_serve_processes_post_a_due_briefing_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with FakeSlack() as fake, serve_snapshot(clock=system_clock) as snapshot:
        sources = tmp_path / "sources.toml"
        sources.write_text(demo_sources_toml(base=snapshot.base_url, now=snapshot.now), "utf-8")
        env = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": fake.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.url,
            "POLICYBOT_SOURCES": str(sources),
            "POLICYBOT_ALLOW_PRIVATE_SOURCES": "true",
            "POLICYBOT_FETCH_HOST_INTERVAL_SECONDS": "0",
            "POLICYBOT_BRIEFING_CHANNELS": CHANNEL,
            # Today's slot has always passed and is within the grace window: both replicas
            # run the start-up catch-up for it at once.
            "POLICYBOT_BRIEFING_TIME": "00:00",
            "POLICYBOT_BRIEFING_GRACE_HOURS": "24",
        }
        # Something to brief: the store already holds the snapshot's developments, and every
        # source is due again, so both replicas' first poll round races for them too.
        pre = demo_settings(database_url=database_url, sources_path=sources)
        poll_sources(open_store(pre, migrate_schema=False), all_sources=True)
        with Session(engine) as session:
            session.execute(update(Source).values(next_due_at=None))
            session.commit()
        snapshot.requests.clear()
        replicas = []
        for n in (1, 2):
            workdir = tmp_path / f"replica-{n}"
            workdir.mkdir()
            replicas.append(start_serve(workdir=workdir, env=env, name=f"replica-{n}"))
        try:
            for replica in replicas:
                replica.wait_healthy()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                not m.thread_ts for m in fake.messages(CHANNEL)
            ):
                time.sleep(0.2)
            # Let both replicas finish whatever they were doing (the schedule's first rounds).
            time.sleep(3)
        finally:
            codes = [replica.terminate() for replica in replicas]
        messages = fake.messages(CHANNEL)
        fetched = Counter(snapshot.requests)

    assert codes == [0, 0], [r.log()[-2000:] for r in replicas]
    parents = [m for m in messages if not m.thread_ts]
    assert len(parents) == 1, [m.text for m in parents]
    replies = [m for m in messages if m.thread_ts]
    assert all(m.thread_ts == parents[0].ts for m in replies)
    with Session(engine) as session:
        posts = session.exec(select(BriefingPost).where(BriefingPost.channel == CHANNEL)).all()
    assert len(posts) == len(replies) >= 8
    assert len({p.development_id for p in posts}) == len(posts)
    # The two replicas' polls never fetched one source twice.
    assert len(fetched) >= 7 and max(fetched.values()) == 1, fetched
