"""The App Home tab's data: a user's subscriptions and the latest developments they follow."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bot.alerts.matching import is_alertable
from bot.alerts.subscriptions import describe_subscription, list_subscriptions
from bot.config import Settings
from bot.slack.blocks.alerts import AlertDevelopment
from bot.slack.blocks.home import HOME_LATEST_LIMIT, HomeSubscription, build_home_view
from store.links import first_links
from store.models import Development

# How many recent developments to scan for the followed jurisdictions (JSON lists are
# filtered in Python, the same way on SQLite and PostgreSQL).
_SCAN = 500


def latest_for_jurisdictions(
    session: Session, *, jurisdictions: set[str], limit: int = HOME_LATEST_LIMIT
) -> list[AlertDevelopment]:
    """The newest announceable developments touching any of `jurisdictions`."""
    if not jurisdictions:
        return []
    rows = session.exec(
        select(Development)
        .where(col(Development.announce) != "never")
        .order_by(col(Development.first_seen_at).desc(), col(Development.id).desc())
        .limit(_SCAN)
    )
    picked = [d for d in rows if is_alertable(d) and jurisdictions & set(d.jurisdictions)][:limit]
    urls = first_links(session, [d.id for d in picked if d.id is not None])
    return [
        AlertDevelopment(
            id=d.id or 0,
            title=d.title,
            summary=d.summary,
            url=urls.get(d.id or 0),
            jurisdictions=tuple(d.jurisdictions),
            topics=tuple(d.topics),
            importance=d.importance,
            published_at=d.published_at or d.first_seen_at,
        )
        for d in picked
    ]


def home_view(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    settings: Settings,
    notice: str | None = None,
) -> dict[str, Any]:
    """The `views.publish` view for `user_id`'s home tab."""
    subs = list_subscriptions(session, team_id=team_id, subscriber_id=user_id)
    followed = {c for s in subs for c in s.jurisdictions}
    return build_home_view(
        subscriptions=[
            HomeSubscription(
                id=s.id or 0,
                label=describe_subscription(s),
                paused_reason=(s.pause_reason or "unreachable") if s.paused_at else None,
            )
            for s in subs
        ],
        latest=latest_for_jurisdictions(session, jurisdictions=followed),
        tz=settings.tz,
        notice=notice,
    )
