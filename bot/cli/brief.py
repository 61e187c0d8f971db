"""`policybot brief [--channel ID]... [--dry-run] [--json]`: post (or show) the daily briefing.

Without `--dry-run` each channel's briefing is claimed in the store and posted exactly once
(a second run the same day posts nothing; an interrupted one is finished). Exit status: 0 when
every channel is done, 3 when a channel failed or was interrupted, 2 on a settings error.
`--dry-run` needs no Slack token and claims nothing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.briefings import (
    BriefingOutcome,
    RenderedBriefing,
    briefing_payloads,
    briefing_settings_problem,
    preview_briefing,
    run_briefings,
)
from bot.cli import common as cli_common
from bot.config import MissingSettingError
from bot.deps import open_store
from bot.slack.blocks.briefing import Message, block_kit_builder_url, message_as_lines
from bot.slack.client import PostResult, SlackPoster, make_web_client

DONE = {"complete", "quiet", "already_complete", "in_progress"}


class RecordingPoster(SlackPoster):
    """A poster that keeps what it posted, so `--json` can print the real payloads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posted: list[dict[str, Any]] = []

    def post_message(self, channel: str, text: str, *args: Any, **kwargs: Any) -> PostResult:
        result = super().post_message(channel, text, *args, **kwargs)
        blocks = args[0] if args else kwargs.get("blocks")
        thread_ts = args[1] if len(args) > 1 else kwargs.get("thread_ts")
        payload: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        payload["ts"] = result.ts
        self.posted.append(payload)
        return result


def print_thread(console: Console, rendered: RenderedBriefing) -> None:
    """The thread as Slack would show it: the parent, then each reply indented."""
    if rendered.parent is None:
        console.print(f"{rendered.channel}: quiet day, nothing would be posted")
        return
    console.print(
        Panel(
            Text("\n".join(message_as_lines(rendered.parent))),
            title=f"{rendered.channel} · parent",
            title_align="left",
        )
    )
    for number, reply in enumerate(rendered.replies, start=1):
        title = f"reply {number}/{len(rendered.replies)}"
        if rendered.reply_threads[number - 1]:
            title += " · update, in its earlier thread"
        console.print(
            Padding(
                Panel(Text("\n".join(message_as_lines(reply))), title=title, title_align="left"),
                (0, 0, 0, 4),
            )
        )
    console.print(f"Block Kit Builder: {block_kit_builder_url(rendered.parent)}", soft_wrap=True)


def _posted_payloads(
    channel: str, posted: list[dict[str, Any]], outcome: BriefingOutcome
) -> Message:
    mine = [p for p in posted if p["channel"] == channel]
    parent = next((p for p in mine if "thread_ts" not in p), None)
    replies = [p for p in mine if "thread_ts" in p]
    return {
        "channel": channel,
        "status": outcome.status,
        "period": outcome.period,
        "error": outcome.error,
        "parent": parent,
        "replies": replies,
        "block_kit_builder": block_kit_builder_url(parent) if parent else None,
    }


def register(app: typer.Typer) -> None:
    @app.command("brief")
    def brief(
        channel: Annotated[
            list[str] | None,
            typer.Option(
                "--channel",
                help="Channel ID to brief (repeatable); default POLICYBOT_BRIEFING_CHANNELS.",
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show the briefing; post and claim nothing.")
        ] = False,
        as_json: Annotated[
            bool,
            typer.Option(
                "--json",
                help='Print {"parent": {...}, "replies": [...]} per channel, one JSON object a line.',
            ),
        ] = False,
    ) -> None:
        """Post each channel's briefing of the developments not yet briefed there."""
        settings = cli_common.settings_or_exit()
        channels = list(channel or settings.briefing_channels)
        if not channels:
            typer.echo(
                "error: POLICYBOT_BRIEFING_CHANNELS is not set: name the channels to brief"
                " (or pass --channel ID)",
                err=True,
            )
            raise typer.Exit(2)
        problem = briefing_settings_problem(settings)
        if problem:
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(2)
        console = Console()
        if dry_run:
            deps = open_store(settings)
            for name in channels:
                rendered = preview_briefing(deps, channel=name)
                if as_json:
                    typer.echo(json.dumps(briefing_payloads(rendered), ensure_ascii=False))
                else:
                    print_thread(console, rendered)
            return
        try:
            poster = RecordingPoster(make_web_client(settings))
        except MissingSettingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        deps = open_store(settings)
        outcomes = run_briefings(deps, poster, channels=channels)
        if as_json:
            for outcome in outcomes:
                payload = _posted_payloads(outcome.channel, poster.posted, outcome)
                typer.echo(json.dumps(payload, ensure_ascii=False))
        else:
            table = Table("channel", "period", "status", "replies posted", "parent ts", "error")
            for outcome in outcomes:
                table.add_row(
                    outcome.channel,
                    outcome.period,
                    outcome.status,
                    str(outcome.replies_posted),
                    outcome.parent_ts or "",
                    outcome.error or "",
                )
            # No Block Kit Builder link here (a ~3 kB URL per channel): `--dry-run` prints it.
            console.print(table)
        if any(o.status not in DONE for o in outcomes):
            raise typer.Exit(3)
