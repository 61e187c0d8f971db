"""`policybot alerts`: deliver pending alerts once (and the daily digests that are due)."""

from __future__ import annotations

import typer

from bot.alerts.delivery import AlertReport, deliver_alerts, deliver_due_digests
from bot.cli import common as cli_common
from bot.deps import open_store
from bot.slack.client import make_web_client


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)


def format_report(report: AlertReport) -> str:
    line = f"alerts: {report.messages} message(s) sent covering {report.delivered} development(s)"
    extras = []
    if report.recovered:
        extras.append(f"{report.recovered} found already sent after a crash")
    if report.resent:
        extras.append(f"{report.resent} re-sent after a crash")
    if report.skipped:
        extras.append(f"{report.skipped} claimed by another process")
    if report.failed:
        extras.append(f"{report.failed} failed")
    if report.paused:
        extras.append(f"paused: {', '.join(sorted(set(report.paused)))}")
    return line + (f" ({'; '.join(extras)})" if extras else "")


def alerts() -> None:
    """Deliver pending alerts once: instant alerts, and daily digests when due."""
    settings = cli_common.settings_or_exit()
    client = make_web_client(settings)  # MissingSettingError -> one line, exit 2
    deps = open_store(settings)
    now = deps.clock()
    report = deliver_alerts(deps, client=client, now=now)
    report.add(deliver_due_digests(deps, client=client, now=now))
    typer.echo(format_report(report))
    if deps.engine is not None:
        deps.engine.dispose()
