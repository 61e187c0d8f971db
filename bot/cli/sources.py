"""`policybot poll`, `policybot sources list|check|parse` and `policybot export`."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from bot.alerts.delivery import alerts_after_poll
from bot.analysis.taxonomy import TaxonomyError
from bot.cli import common as cli_common
from bot.cli import explain as cli_explain
from bot.cli.alerts import format_report
from bot.config import Settings
from bot.deps import open_store
from bot.developments.timeline import timelines
from bot.sources.entries import RawEntry
from bot.sources.fetch import Fetcher, FetchLimits
from bot.sources.parse import ParseError, ParseResult, parse_body
from bot.sources.poll import PollReport, PollRow, UnknownSourceError, fetch_and_parse, poll_sources
from bot.sources.sources_file import (
    KINDS,
    SourcesFileError,
    SourceSpec,
    load_sources_file,
    sync_sources,
)
from store.links import development_links
from store.models import Development, Source
from store.source_admin import REMOVED_FILE_SOURCE

log = logging.getLogger(__name__)

sources_app = typer.Typer(
    help="List the sources with their health, check them, or parse saved responses.",
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.command("poll")(poll)
    app.command("export")(export)
    app.add_typer(sources_app, name="sources")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


# --- poll ---------------------------------------------------------------------------------


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: Any = None

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("fetching", total=total)

    def advance(self, row: PollRow) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=1, description=row.source[:30])


def _cell(text: str | None, limit: int = 70) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_poll_table(report: PollReport) -> Table:
    table = Table(title=None, show_lines=False)
    for name, justify in (
        ("source", "left"),
        ("status", "left"),
        ("new", "right"),
        ("updated", "right"),
        ("skipped", "right"),
        ("error or note", "left"),
        ("seconds", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    styles = {"ok": "green", "not_modified": "cyan", "error": "red", "busy": "yellow"}
    for row in report.rows:
        table.add_row(
            row.source,
            f"[{styles.get(row.status, 'white')}]{row.status}[/]",
            str(row.new),
            str(row.updated),
            str(row.skipped) if row.skipped else "",
            _cell(row.error),
            f"{row.seconds:.2f}",
        )
    return table


def poll(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Poll this source now, due or not (repeatable)."),
    ] = None,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Poll every enabled source now, due or not.")
    ] = False,
) -> None:
    """Fetch the due sources once, store what is new, and print one row per source."""
    settings = cli_common.settings_or_exit()
    if source and all_sources:
        raise _fail("--source and --all cannot be combined")
    _specs_or_exit(settings)  # a bad sources file stops the poll before the store is touched
    deps = open_store(settings)
    err = Console(stderr=True)
    try:
        with Progress(
            TextColumn("{task.description:<30}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            report = poll_sources(
                deps,
                names=source or None,
                all_sources=all_sources,
                progress=_RichProgress(progress),
            )
    except (SourcesFileError, TaxonomyError) as exc:
        raise _fail(str(exc)) from None
    except UnknownSourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    # Instant alerts for what this poll created or changed: sent now when SLACK_BOT_TOKEN is
    # set, otherwise they wait for `policybot alerts` or `serve` (docs/reference.md).
    alert_report = alerts_after_poll(settings, development_ids=report.development_ids)
    console = Console(width=max(Console().width, 120))
    if not report.rows:
        console.print("no source is due (use --all to poll every source now)")
    else:
        console.print(render_poll_table(report))
        console.print(
            f"{len(report.rows)} sources, {report.new} new, {report.updated} updated, "
            f"{len(report.failed)} failed, {report.seconds:.1f}s"
        )
    if alert_report is not None:
        console.print(format_report(alert_report))
    raise typer.Exit(report.exit_code)


# --- sources list / check -----------------------------------------------------------------


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        minutes = int(-seconds // 60)
        return f"in {minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"in {minutes}m"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    if minutes < 48 * 60:
        return f"{minutes // 60}h ago"
    return f"{minutes // 1440}d ago"


def source_health(source: Source) -> str:
    if not source.enabled:
        return "removed in Slack" if source.origin == REMOVED_FILE_SOURCE else "disabled"
    if source.last_status is None:
        return "new"
    if source.consecutive_failures:
        return f"failing ×{source.consecutive_failures}"
    return "ok"


@sources_app.command("list")
def list_sources() -> None:
    """List the sources (file and Slack) with their health."""
    settings = cli_common.settings_or_exit()
    specs, where = _specs_or_exit(settings)
    deps = open_store(settings)
    now = datetime.now(UTC)
    try:
        with deps.sessions() as session:
            sync_sources(session, specs=specs, now=now)
            session.commit()
            rows = list(session.exec(select(Source).order_by(col(Source.name))).all())
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    table = Table(title=f"sources ({where})")
    for name in ("name", "kind", "primary", "jurisdictions", "health", "last success", "next"):
        table.add_column(name)
    table.add_column("skipped", justify="right")
    table.add_column("last error or what was skipped")
    for row in rows:
        table.add_row(
            row.name,
            row.kind,
            "yes" if row.primary else "no",
            ",".join(row.jurisdictions),
            source_health(row),
            _ago(row.last_success_at, now),
            _ago(row.next_due_at, now) if row.enabled else "",
            str(row.last_skipped) if row.last_skipped else "",
            _cell(row.last_error or row.last_skipped_reason, 50),
        )
    Console(width=max(Console().width, 140)).print(table)


def _specs_or_exit(settings: Settings) -> tuple[list[SourceSpec], str]:
    try:
        return load_sources_file(settings.sources_file)
    except SourcesFileError as exc:
        raise _fail(str(exc)) from None


async def _check(targets: Sequence[Source], settings: Settings) -> list[tuple[str, str, int, str]]:
    async with Fetcher(FetchLimits.from_settings(settings)) as fetcher:

        async def one(target: Source) -> tuple[str, str, int, str]:
            result, parsed, error = await fetch_and_parse(fetcher, target, conditional=False)
            if error is not None or parsed is None:
                return target.name, "error", 0, error or result.status
            return target.name, "ok", len(parsed.entries), "; ".join(parsed.notes)

        return list(await asyncio.gather(*(one(target) for target in targets)))


def _slack_sources(settings: Settings) -> list[Source]:
    """The enabled sources added from Slack: they are watched too, but not in the file."""
    deps = open_store(settings)
    try:
        with deps.sessions() as session:
            query = select(Source).where(col(Source.origin) == "slack", col(Source.enabled))
            return list(session.exec(query.order_by(col(Source.name))).all())
    finally:
        if deps.engine is not None:
            deps.engine.dispose()


@sources_app.command("check")
def check_sources() -> None:
    """Fetch and parse each source once (the file's and those added from Slack), storing nothing."""
    settings = cli_common.settings_or_exit()
    specs, where = _specs_or_exit(settings)
    targets = [
        Source(name=spec.name, kind=spec.kind, url=spec.url, selector=spec.selector)
        for spec in specs
    ]
    in_file = {spec.name for spec in specs}
    try:
        added = [source for source in _slack_sources(settings) if source.name not in in_file]
    except SQLAlchemyError as exc:  # the file's sources can still be checked
        Console(stderr=True).print(
            f"note: sources added from Slack not checked: the store is unavailable "
            f"({type(exc).__name__})"
        )
        added = []
    if added:
        where += f" + {len(added)} added from Slack"
    results = asyncio.run(_check([*targets, *added], settings))
    table = Table(title=f"check ({where})")
    for name in ("source", "status", "entries", "note or error"):
        table.add_column(name)
    for name, status, count, note in results:
        colour = "green" if status == "ok" else "red"
        table.add_row(name, f"[{colour}]{status}[/]", str(count), _cell(note))
    Console(width=max(Console().width, 120)).print(table)
    raise typer.Exit(3 if any(status != "ok" for _, status, _, _ in results) else 0)


# --- sources parse ------------------------------------------------------------------------


def _entry_json(entry: RawEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "url": entry.url,
        "guid": entry.guid,
        "published": cli_explain.iso(entry.published),
        "text": entry.text,
    }


def parse_saved_body(
    path: Path, *, kind: str, content_type: str | None, url: str | None
) -> tuple[ParseResult | None, str | None]:
    """One saved body parsed as a response of a `kind` source: the result, or why there is none.

    Nothing here raises: one bad file must never stop the others.
    """
    try:
        body = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"
    try:
        base = url or path.resolve().as_uri()
        return parse_body(kind, body, url=base, content_type=content_type), None
    except ParseError as exc:
        return None, " ".join(str(exc).split())
    except Exception as exc:  # a bug in the parsing code: say so, and go on with the next file
        log.exception("parsing %s failed", path)
        return None, " ".join(f"internal error: {type(exc).__name__}: {exc}".split())[:300]


@sources_app.command("parse")
def parse_saved(
    paths: Annotated[list[Path], typer.Argument(help="Saved response bodies.", show_default=False)],
    kind: Annotated[
        str, typer.Option("--kind", help=f"The source kind: {', '.join(KINDS)}.")
    ] = "feed",
    content_type: Annotated[
        str | None,
        typer.Option("--content-type", help="The response's Content-Type (its charset counts)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Where the body came from; relative links resolve against it."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Parse saved source bodies with the real parsing code, storing nothing."""
    if kind not in KINDS:
        raise _fail(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise _fail(f"no such file: {', '.join(missing)}")
    failed = 0
    for path in paths:
        result, error = parse_saved_body(path, kind=kind, content_type=content_type, url=url)
        failed += error is not None
        entries = result.entries if result is not None else []
        if as_json:
            line = {"path": str(path), "entries": [_entry_json(e) for e in entries], "error": error}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        notes = "; ".join(result.notes) if result is not None else ""
        summary = (
            f"error: {error}"
            if error
            else f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        )
        typer.echo(f"{path}: {summary}" + (f" ({notes})" if notes else ""))
        for entry in entries:
            when = entry.published.strftime("%Y-%m-%d %H:%M") if entry.published else "no date"
            typer.echo(f"  {when}  {_cell(entry.title, 80)}  {entry.url}")
    raise typer.Exit(3 if failed else 0)


# --- export -------------------------------------------------------------------------------


def export_developments(session: Session, *, since: datetime | None) -> list[dict[str, Any]]:
    """Every development (published, or else first seen, on or after `since`) in the
    docs/reference.md export shape, oldest first."""
    query = select(Development).order_by(col(Development.first_seen_at), col(Development.id))
    if since is not None:
        stamp = func.coalesce(col(Development.published_at), col(Development.first_seen_at))
        query = query.where(stamp >= since)
    developments = list(session.exec(query).all())
    links = development_links(session, [d.id for d in developments if d.id is not None])
    items_by_dev = {
        dev_id: [{"url": link.url, "title": link.title, "source": link.source} for link in found]
        for dev_id, found in links.items()
    }
    ids = [d.id for d in developments if d.id is not None]
    dated = timelines(session, ids)
    explained = cli_explain.development_items(session, ids)
    return [
        {
            "id": d.id,
            "title": d.title,
            "summary": d.summary,
            "jurisdictions": list(d.jurisdictions),
            "topics": list(d.topics),
            "importance": d.importance,
            "first_seen": cli_explain.iso(d.first_seen_at),
            "published": cli_explain.iso(d.published_at),
            "items": items_by_dev.get(d.id or 0, []),
            # The development's timeline (docs/reference.md: "dates"), by date.
            "dates": [
                {"kind": t.kind, "date": t.day.isoformat(), "sentence": t.sentence}
                for t in dated.get(d.id or 0, [])
            ],
            # Why it carries its tags and items: what `policybot explain ID --json` prints.
            "evidence": cli_explain.explanation_of(d, explained.get(d.id or 0, [])),
        }
        for d in developments
    ]


def parse_since(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO date or date-time: {value!r}") from None
        parsed = datetime(day.year, day.month, day.day)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export(
    as_json: Annotated[bool, typer.Option("--json", help="JSON list (the default).")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, one row per development.")] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only developments published (else first seen) since DATE."),
    ] = None,
) -> None:
    """Print every development with its tags, summary and items."""
    if as_json and as_csv:
        raise _fail("--json and --csv cannot be combined")
    settings = cli_common.settings_or_exit()
    since_at = None
    if since is not None:
        try:
            since_at = parse_since(since)
        except ValueError as exc:
            raise _fail(f"--since: {exc}") from None
    deps = open_store(settings)
    try:
        with deps.sessions() as session:
            rows = export_developments(session, since=since_at)
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    if not as_csv:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "id",
            "title",
            "summary",
            "jurisdictions",
            "topics",
            "importance",
            "first_seen",
            "published",
            "item_urls",
            "item_sources",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                spreadsheet_safe(cell)
                for cell in (
                    row["id"],
                    row["title"],
                    row["summary"],
                    ";".join(row["jurisdictions"]),
                    ";".join(row["topics"]),
                    row["importance"],
                    row["first_seen"],
                    row["published"] or "",
                    " ".join(i["url"] for i in row["items"]),
                    ";".join(sorted({i["source"] for i in row["items"]})),
                )
            ]
        )
