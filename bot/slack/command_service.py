"""What each `/policy` subcommand does, from a parsed command to a reply payload.

One function per subcommand; each opens one session. The Slack listener (`handlers/policy.py`)
only acknowledges, picks the function and sends the payload. Errors a person can fix come back
as plain replies; nothing internal (stack traces, SQL, addresses of our own) reaches them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from bot.alerts.subscriptions import paused_status_lines
from bot.answers.engine import CitedDevelopment, answer_question, cite_developments
from bot.config import Settings
from bot.deps import Deps
from bot.slack.blocks.answers import (
    ShownDevelopment,
    answer_message,
    development_list_message,
    shared_message,
)
from bot.slack.blocks.commands import (
    SourceRow,
    help_message,
    notice,
    sources_message,
    status_message,
    too_long_message,
    unknown_command_message,
)
from bot.slack.blocks.text import escape, escape_and_truncate
from bot.slack.commands import (
    Ask,
    Invalid,
    Latest,
    Search,
    SourcesAdd,
    SourcesRemove,
    TooLong,
    Unknown,
    parse_command,
)
from bot.sources.netguard import UnsafeURLError, check_url
from bot.sources.sources_file import SourceNameTakenError, add_slack_source, validate_source
from bot.vocab import jurisdiction_label
from store.db import session_scope
from store.models import Development, Source
from store.search import count_developments, latest_developments, search_developments
from store.source_admin import find_watched_url, list_sources, remove_source

SEARCH_LIMIT = 10


def shown(dev: CitedDevelopment) -> ShownDevelopment:
    return ShownDevelopment(
        id=dev.id,
        title=dev.title,
        summary=dev.summary,
        url=dev.url,
        jurisdictions=tuple(dev.jurisdictions),
        published=dev.published,
        importance=dev.importance,
        timeline=tuple(dev.timeline),
        note=dev.note,
    )


def help_reply(topic: str | None = None) -> dict[str, Any]:
    del topic  # one help page covers every subcommand
    return help_message()


def unknown_reply(command: Unknown) -> dict[str, Any]:
    return unknown_command_message(command.word, command.suggestion)


def invalid_reply(command: Invalid) -> dict[str, Any]:
    return notice(command.message)


def too_long_reply(command: TooLong) -> dict[str, Any]:
    return too_long_message(command.length, command.limit)


def ask_reply(deps: Deps, *, question: str, command_text: str) -> dict[str, Any]:
    with session_scope(deps.sessions) as session:
        answer = answer_question(
            session, question=question, now=deps.clock(), settings=deps.settings
        )
    if answer.problem is not None:
        return notice(answer.problem)  # our own words: nothing of the question is echoed
    return answer_message(
        question=answer.question,
        developments=[shown(d) for d in answer.developments],
        searched=answer.searched,
        suggestions=answer.suggestions,
        command_text=command_text,
        phrased=answer.phrased,
    )


def latest_reply(deps: Deps, *, command: Latest, command_text: str) -> dict[str, Any]:
    with session_scope(deps.sessions) as session:
        devs = latest_developments(
            session, jurisdictions=command.jurisdictions, topics=command.topics, limit=10
        )
        cited = cite_developments(session, devs)
    filters = [jurisdiction_label(c) for c in command.jurisdictions] + list(command.topics)
    heading = "Latest developments" + (f": {escape(', '.join(filters))}" if filters else "")
    return development_list_message(
        heading=heading,
        developments=[shown(d) for d in cited],
        empty_text="Nothing tracked matches these filters yet.",
        command_text=command_text,
    )


def search_reply(deps: Deps, *, terms: str, command_text: str) -> dict[str, Any]:
    words = [w for w in re.findall(r"[^\W_]+", terms.lower()) if len(w) > 1 or w.isdigit()]
    with session_scope(deps.sessions) as session:
        hits = search_developments(session, terms=words, match="auto", limit=200)
        cited = cite_developments(session, _dev_rows(session, [h.development_id for h in hits]))
    # "Newest first": among matches, publication date decides the order.
    cited.sort(key=lambda d: d.published or datetime.min.replace(tzinfo=UTC), reverse=True)
    heading = f"Developments matching “{escape_and_truncate(terms, 200)}” ({len(cited)})"
    return development_list_message(
        heading=heading,
        developments=[shown(d) for d in cited[:SEARCH_LIMIT]],
        empty_text=f"Nothing tracked matches “{escape_and_truncate(terms, 200)}”. "
        "Try fewer words, or `/policy ask` with a question.",
        command_text=command_text,
    )


def _dev_rows(session: Session, ids: list[int]) -> list[Development]:
    if not ids:
        return []
    rows = session.exec(select(Development).where(col(Development.id).in_(ids))).all()
    return list(rows)


def _source_row(src: Source) -> SourceRow:
    return SourceRow(
        name=src.name,
        kind=src.kind,
        url=src.url,
        enabled=src.enabled,
        origin=src.origin,
        last_success_at=src.last_success_at,
        last_status=src.last_status,
        consecutive_failures=src.consecutive_failures,
        last_error=src.last_error,
        last_skipped=src.last_skipped,
        last_skipped_reason=src.last_skipped_reason,
    )


def sources_reply(deps: Deps) -> dict[str, Any]:
    with session_scope(deps.sessions) as session:
        rows = [_source_row(s) for s in list_sources(session)]
    return sources_message(rows, now=deps.clock())


def is_admin(settings: Settings, user_id: str) -> bool:
    return bool(user_id) and user_id in settings.admins


def source_name_for(url: str, taken: set[str]) -> str:
    """A sources-file style name from the URL: host and first path word, made unique."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    path_words = [w for w in re.split(r"[^a-z0-9]+", parts.path.lower()) if w][:2]
    base = "-".join([*re.split(r"[^a-z0-9]+", host.lower()), *path_words])
    base = re.sub(r"-+", "-", base).strip("-")[:80] or "source"
    name = base
    n = 2
    while name in taken:
        name = f"{base}-{n}"
        n += 1
    return name


def sources_add_reply(deps: Deps, *, command: SourcesAdd, user_id: str) -> dict[str, Any]:
    if not is_admin(deps.settings, user_id):
        return notice("Only policybot admins (`POLICYBOT_ADMINS`) can add sources.")
    try:
        check_url(command.url, allow_private=deps.settings.allow_private_sources)
    except UnsafeURLError as exc:
        return notice(f"That URL cannot be a source: {escape_and_truncate(str(exc), 300)}")
    with session_scope(deps.sessions) as session:
        watched = find_watched_url(session, url=command.url)
        if watched is not None:
            return notice(
                f"{escape_and_truncate(command.url, 300)} is already watched as "
                f"`{escape(watched.name)}`."
            )
        taken = {s.name for s in list_sources(session, include_disabled=True)}
        name = source_name_for(command.url, taken)
        spec, problems = validate_source(
            {
                "name": name,
                "kind": command.kind,
                "url": command.url,
                "primary": False,
                "jurisdictions": list(command.jurisdictions),
            }
        )
        if spec is None:
            text = "; ".join(p for _key, p in problems) or "invalid source"
            return notice(f"That source is not valid: {escape_and_truncate(text, 500)}")
        try:
            add_slack_source(session, spec=spec, added_by=user_id, now=deps.clock())
        except SourceNameTakenError as exc:
            return notice(escape_and_truncate(str(exc), 300))
    where = f" ({', '.join(command.jurisdictions)})" if command.jurisdictions else ""
    return notice(
        f"Added source `{escape(spec.name)}`: {escape(spec.kind)} at "
        f"{escape_and_truncate(spec.url, 300)}{where}. It is polled at the next poll."
    )


def sources_remove_reply(deps: Deps, *, command: SourcesRemove, user_id: str) -> dict[str, Any]:
    if not is_admin(deps.settings, user_id):
        return notice("Only policybot admins (`POLICYBOT_ADMINS`) can remove sources.")
    with session_scope(deps.sessions) as session:
        removed = remove_source(session, name=command.source_name)
    name = escape_and_truncate(command.source_name, 100)
    if removed is None:
        return notice(f"No watched source is named `{name}`. `/policy sources` lists them.")
    return notice(
        f"Removed source `{name}`: it is no longer polled; what it found stays searchable."
    )


def next_briefing_at(settings: Settings, now: datetime) -> datetime | None:
    if not settings.briefing_channels:
        return None
    hour, minute = (int(p) for p in settings.briefing_time.split(":"))
    local_now = now.astimezone(settings.tz)
    candidate = datetime.combine(local_now.date(), time(hour, minute), tzinfo=settings.tz)
    if candidate <= local_now:
        candidate = datetime.combine(
            local_now.date() + timedelta(days=1), time(hour, minute), tzinfo=settings.tz
        )
    return candidate.astimezone(UTC)


def status_reply(deps: Deps) -> dict[str, Any]:
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        rows = [_source_row(s) for s in list_sources(session)]
        total = count_developments(session)
        paused = paused_status_lines(session)
    return status_message(
        rows,
        now=now,
        next_briefing=next_briefing_at(deps.settings, now),
        briefing_channels=len(deps.settings.briefing_channels),
        developments=total,
        paused_subscriptions=paused,
    )


def share_reply(deps: Deps, *, command_text: str, user_id: str) -> dict[str, Any] | None:
    """The reply to post in the channel for a shared command, or None if it cannot be shared.

    Only answers are shareable (`ask`, `latest`, `search`): the button's value is the command
    text, run again here, so a shared reply is what the store says now.
    """
    parsed = parse_command(command_text)
    if isinstance(parsed, Ask):
        reply = ask_reply(deps, question=parsed.question, command_text=command_text)
    elif isinstance(parsed, Latest):
        reply = latest_reply(deps, command=parsed, command_text=command_text)
    elif isinstance(parsed, Search):
        reply = search_reply(deps, terms=parsed.terms, command_text=command_text)
    else:
        return None
    return shared_message(reply, user_id=user_id, command_text=command_text)
