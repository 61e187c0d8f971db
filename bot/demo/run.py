"""`policybot demo`: the whole job, offline, on the bundled sample sources.

The real path, end to end: the demo sources file -> `poll_sources` (real httpx fetches over
loopback to `DemoServer`) -> ingest (classify, cluster, summarise) -> the threaded briefing
as Slack would show it -> sample questions answered by the answer engine. The watched page is
changed between two polls so a page change shows. It needs no settings: everything it uses
is set here, in a temporary SQLite store unless `--database` names one.

The demo runs on its own clock: today (UTC) at noon, ticking on from there (`demo_clock`). The
snapshot's dates are relative to it, and "this week" is the last 7 days whatever the weekday,
so the briefing and the answers are the same on every day and at every hour; the output says
which moment the demo pretends it is.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.rule import Rule
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select

from bot.answers.engine import Answer, answer_question
from bot.briefings import RenderedBriefing, preview_briefing
from bot.config import Settings
from bot.demo.snapshot import DemoServer, demo_sources_toml, serve_snapshot
from bot.deps import Clock, Deps, open_store, system_clock
from bot.slack.blocks.briefing import message_as_lines, mrkdwn_as_text
from bot.sources.poll import PollReport, PollRow, poll_sources
from store.db import session_scope
from store.models import Development, Item

DEMO_CHANNEL = "C0DEMO"
PAGE_SOURCE = "demo-meti-export-control"
QUESTIONS = (
    "What changed in UK AI export rules this week?",
    "Any new Dutch chip rules?",
    "What is the EU doing on AI sovereignty?",
)
DEMO_HOUR_UTC = 12  # the demo's time of day: far from midnight in most time zones


@dataclass
class DemoResult:
    polls: list[PollReport] = field(default_factory=list)
    developments: int = 0
    items: int = 0
    silent: int = 0
    briefing: RenderedBriefing | None = None
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0


def demo_clock(real: Clock = system_clock) -> Clock:
    """Today (UTC, from `real`) at DEMO_HOUR_UTC, then ticking on in real time.

    Pinning the hour keeps date-only publication dates (the Federal Register's) in the same
    order relative to timed ones, so the showcase does not change with the hour it is run at.
    """
    now = real().astimezone(UTC)
    start = now.replace(hour=DEMO_HOUR_UTC, minute=0, second=0, microsecond=0)
    began = time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    return clock


def demo_settings(*, database_url: str, sources_path: Path) -> Settings:
    """Everything the demo needs, independent of the operator's environment and `.env`."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        sources_path=sources_path,
        allow_private_sources=True,  # the snapshot is served on 127.0.0.1
        fetch_host_interval_seconds=0.0,  # our own loopback server: no politeness delay
        slack_bot_token=None,
        slack_app_token=None,
        slack_signing_secret=None,
        briefing_channels=[DEMO_CHANNEL],
        briefing_filters="",
        briefing_quiet="line",
        timezone="UTC",
        llm_provider="",
    )


class _PollProgress:
    """`PollProgress` on a rich progress bar."""

    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self._label = label
        self._task: TaskID | None = None

    def start(self, total: int) -> None:
        self._task = self._progress.add_task(self._label, total=total)

    def advance(self, row: PollRow) -> None:
        if self._task is not None:
            self._progress.advance(self._task)


# -- showing Slack messages in a terminal -------------------------------------------------------
def print_briefing(console: Console, briefing: RenderedBriefing) -> None:
    if briefing.parent is None:
        console.print("(quiet day: nothing posted)")
        return
    console.print(
        Panel(
            Text("\n".join(message_as_lines(briefing.parent))),
            title=f"#policy-briefing ({briefing.channel}) - parent message",
            title_align="left",
        )
    )
    total = len(briefing.replies)
    for number, reply in enumerate(briefing.replies, start=1):
        console.print(
            Panel(
                Text("\n".join(message_as_lines(reply))),
                title=f"  └ thread reply {number}/{total}",
                title_align="left",
                padding=(0, 1),
            )
        )


def print_answer(console: Console, answer: Answer) -> None:
    console.print(Text(f"/policy ask {answer.question}", style="bold cyan"))
    console.print(Text(mrkdwn_as_text(answer.text)))
    console.print()


# -- the run ------------------------------------------------------------------------------------
def _poll(deps: Deps, console: Console, *, label: str, names: Sequence[str] | None) -> PollReport:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as progress:
        report = poll_sources(
            deps,
            names=names,
            all_sources=names is None,
            progress=_PollProgress(progress, label),
        )
    table = Table(title=label, show_lines=False)
    for column in ("source", "status", "new", "updated", "error"):
        table.add_column(column)
    for row in report.rows:
        table.add_row(row.source, row.status, str(row.new), str(row.updated), row.error or "")
    console.print(table)
    return report


def _store_summary(deps: Deps, console: Console, result: DemoResult) -> None:
    with session_scope(deps.sessions) as session:
        result.developments = session.exec(select(func.count()).select_from(Development)).one()
        result.items = session.exec(select(func.count()).select_from(Item)).one()
        devs = list(session.exec(select(Development)).all())
        clustered = session.exec(
            select(Item.development_id, func.count())
            .where(col(Item.development_id).is_not(None))
            .group_by(col(Item.development_id))
            .having(func.count() > 1)
        ).all()
    result.silent = sum(1 for d in devs if d.announce == "never")
    by_j = Counter(j for d in devs if d.relevant for j in d.jurisdictions)
    by_t = Counter(t for d in devs if d.relevant for t in d.topics)
    console.print(
        Text(
            f"Stored {result.items} items as {result.developments} developments "
            f"({len(clustered)} reported by several sources; {result.silent} stored but never "
            "announced: backfill or not AI policy)."
        )
    )
    console.print(Text("By jurisdiction: " + ", ".join(f"{k} {v}" for k, v in by_j.most_common())))
    console.print(Text("By topic: " + ", ".join(f"{k} {v}" for k, v in by_t.most_common())))


def run_demo(
    *,
    console: Console,
    database_url: str | None = None,
    clock: Clock | None = None,
) -> DemoResult:
    """Run the demo, printing as it goes; returns what it did (for tests).

    `clock` defaults to `demo_clock()`: today at noon UTC.
    """
    clock = clock or demo_clock()
    started = time.monotonic()
    result = DemoResult()
    with tempfile.TemporaryDirectory(prefix="policybot-demo-") as tmp:
        workdir = Path(tmp)
        url = database_url or f"sqlite:///{workdir / 'demo.db'}"
        with serve_snapshot(clock=clock) as server:
            result = _run(
                console,
                server=server,
                url=url,
                temporary=database_url is None,
                workdir=workdir,
                clock=clock,
            )
    result.seconds = time.monotonic() - started
    console.print(Text(f"Demo finished in {result.seconds:.1f} s.", style="green"))
    return result


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _run(
    console: Console,
    *,
    server: DemoServer,
    url: str,
    temporary: bool,
    workdir: Path,
    clock: Clock,
) -> DemoResult:
    result = DemoResult()
    sources_path = workdir / "sources.toml"
    sources_path.write_text(demo_sources_toml(base=server.base_url, now=server.now), "utf-8")
    settings = demo_settings(database_url=url, sources_path=sources_path)
    console.print(Rule("policybot demo: synthetic sample sources, served on " + server.base_url))
    console.print(Text(f"Store: {'a temporary SQLite file' if temporary else _shown_url(url)}"))
    console.print(
        Text(
            f"The demo pretends it is {clock():%A %-d %B %Y, %H:%M} UTC; the sample's dates "
            "are relative to it, so the showcase is the same on any day.\n"
        )
    )
    deps = open_store(settings, clock=clock)
    try:
        result.polls.append(_poll(deps, console, label="Poll 1: every source", names=None))
        server.set_page_version(2)
        result.polls.append(
            _poll(deps, console, label="Poll 2: the watched page changed", names=[PAGE_SOURCE])
        )
        _store_summary(deps, console, result)

        console.print(Rule("The daily briefing, as Slack shows it"))
        result.briefing = preview_briefing(deps, channel=DEMO_CHANNEL, now=clock())
        print_briefing(console, result.briefing)

        console.print(Rule("Questions, answered from the store"))
        for question in QUESTIONS:
            with session_scope(deps.sessions) as session:
                answer = answer_question(session, question=question, now=clock(), settings=settings)
            result.answers.append(answer)
            print_answer(console, answer)
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    return result
