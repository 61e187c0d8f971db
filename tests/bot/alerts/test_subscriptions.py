"""The subscription service: subscribe merges, unsubscribe removes, pausing, parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.subscriptions import (
    SubscriptionError,
    describe_following,
    list_subscriptions,
    parse_subscribe_args,
    parse_unsubscribe_args,
    pause_subscriber,
    paused_status_lines,
    paused_subscriptions,
    remove_subscription,
    subscribe,
    unsubscribe,
)
from store.db import SessionFactory, session_scope

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _subscribe(sessions: SessionFactory, *codes: str, **kw: object) -> list[str]:
    with session_scope(sessions) as session:
        result = subscribe(
            session,
            team_id=str(kw.pop("team_id", "T1")),
            subscriber_kind=str(kw.pop("kind", "user")),
            subscriber_id=str(kw.pop("subscriber_id", "U1")),
            jurisdictions=codes,
            now=NOW,
            **kw,  # type: ignore[arg-type]
        )
        return result.added


def _rows(
    sessions: SessionFactory, subscriber_id: str = "U1", team_id: str = "T1"
) -> list[tuple[list[str], list[str], str]]:
    with session_scope(sessions) as session:
        return [
            (s.jurisdictions, s.topics, s.mode)
            for s in list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id)
        ]


def test_subscribing_again_with_the_same_filter_merges(sessions: SessionFactory) -> None:
    assert _subscribe(sessions, "EU", "NL", topics=["export-controls"]) == ["EU", "NL"]
    assert _subscribe(sessions, "NL", "UK", topics=["export-controls"]) == ["UK"]
    assert _subscribe(sessions, "UK", topics=["export-controls"]) == []
    assert _rows(sessions) == [(["UK", "EU", "NL"], ["export-controls"], "instant")]


def test_a_different_topic_filter_is_a_separate_subscription(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU")
    _subscribe(sessions, "EU", topics=["sovereignty"])
    assert _rows(sessions) == [(["EU"], [], "instant"), (["EU"], ["sovereignty"], "instant")]


def test_switching_mode_moves_the_jurisdiction(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU", "NL")
    _subscribe(sessions, "NL", mode="daily")
    assert _rows(sessions) == [(["EU"], [], "instant"), (["NL"], [], "daily")]


def test_subscriptions_are_per_team_and_subscriber(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU")
    _subscribe(sessions, "US", team_id="T2")
    _subscribe(sessions, "CN", kind="channel", subscriber_id="C1")
    assert _rows(sessions) == [(["EU"], [], "instant")]
    assert _rows(sessions, team_id="T2") == [(["US"], [], "instant")]
    assert _rows(sessions, subscriber_id="C1") == [(["CN"], [], "instant")]


def test_unsubscribe_removes_jurisdictions_and_empty_subscriptions(
    sessions: SessionFactory,
) -> None:
    _subscribe(sessions, "EU", "NL")
    _subscribe(sessions, "NL", topics=["sovereignty"])
    with session_scope(sessions) as session:
        result = unsubscribe(session, team_id="T1", subscriber_id="U1", jurisdictions=["NL", "JP"])
        assert result.removed == ["NL"]
        assert result.not_followed == ["JP"]
    assert _rows(sessions) == [(["EU"], [], "instant")]


def test_unsubscribe_all(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU", "NL")
    _subscribe(sessions, "US", mode="daily")
    with session_scope(sessions) as session:
        result = unsubscribe(session, team_id="T1", subscriber_id="U1", everything=True)
        assert result.removed == ["US", "EU", "NL"]
    assert _rows(sessions) == []


def test_remove_subscription_only_for_its_owner(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU")
    with session_scope(sessions) as session:
        sub_id = list_subscriptions(session, team_id="T1", subscriber_id="U1")[0].id
        assert sub_id is not None
        assert (
            remove_subscription(session, team_id="T1", subscriber_id="U2", subscription_id=sub_id)
            is None
        )
        assert (
            remove_subscription(session, team_id="T1", subscriber_id="U1", subscription_id=sub_id)
            is not None
        )
    assert _rows(sessions) == []


def test_pausing_is_listed_and_subscribing_again_resumes(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU")
    with session_scope(sessions) as session:
        pause_subscriber(
            session, team_id="T1", subscriber_id="U1", reason="Slack said cannot_dm_bot", now=NOW
        )
    with session_scope(sessions) as session:
        paused = paused_subscriptions(session, team_id="T1")
        assert [(p.subscriber_id, p.pause_reason) for p in paused] == [
            ("U1", "Slack said cannot_dm_bot")
        ]
        assert paused_subscriptions(session, team_id="T2") == []
        text = describe_following(
            list_subscriptions(session, team_id="T1", subscriber_id="U1"),
            kind="user",
            subscriber_id="U1",
        )
        assert "paused" in text
    with session_scope(sessions) as session:
        result = subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["EU"],
            now=NOW,
        )
        assert result.resumed
    with session_scope(sessions) as session:
        assert paused_subscriptions(session) == []


def test_parse_subscribe_normalises_names() -> None:
    args = parse_subscribe_args("Britain, the netherlands export controls high daily here")
    assert args.jurisdictions == ("UK", "NL")
    assert args.topics == ("export-controls",)
    assert args.min_importance == "high"
    assert args.mode == "daily"
    assert args.here


def test_parse_subscribe_defaults_to_instant_dm() -> None:
    args = parse_subscribe_args("EU NL export-controls")
    assert (args.jurisdictions, args.topics, args.mode, args.here) == (
        ("EU", "NL"),
        ("export-controls",),
        "instant",
        False,
    )


def test_parse_subscribe_refuses_unknown_words_with_help() -> None:
    with pytest.raises(SubscriptionError) as info:
        parse_subscribe_args("EU narnia")
    assert "narnia" in str(info.value)
    assert "/policy subscribe" in str(info.value)


def test_parse_subscribe_needs_a_jurisdiction() -> None:
    with pytest.raises(SubscriptionError, match="at least one jurisdiction"):
        parse_subscribe_args("export-controls")


def test_parse_unsubscribe() -> None:
    assert parse_unsubscribe_args("all here").everything
    assert parse_unsubscribe_args("United Kingdom EU").jurisdictions == ("UK", "EU")
    with pytest.raises(SubscriptionError):
        parse_unsubscribe_args("")


def test_describe_following_says_exactly_what_is_followed(sessions: SessionFactory) -> None:
    _subscribe(sessions, "EU", "NL", topics=["export-controls"], min_importance="medium")
    with session_scope(sessions) as session:
        text = describe_following(
            list_subscriptions(session, team_id="T1", subscriber_id="U1"),
            kind="user",
            subscriber_id="U1",
        )
    assert text == "You follow:\n• EU, NL · export-controls · medium and above · instant"
    assert (
        describe_following([], kind="channel", subscriber_id="C1") == "<#C1> follows nothing now."
    )
    assert describe_following([], kind="user", subscriber_id="U1") == "You follow nothing now."


def test_paused_status_lines_name_who_what_and_why(sessions: SessionFactory) -> None:
    _subscribe(sessions, "UK")
    _subscribe(sessions, "EU", kind="channel", subscriber_id="C1")
    with session_scope(sessions) as session:
        pause_subscriber(
            session, team_id="T1", subscriber_id="U1", reason="Slack said cannot_dm_bot", now=NOW
        )
        pause_subscriber(
            session, team_id="T1", subscriber_id="C1", reason="Slack said not_in_channel", now=NOW
        )
    with session_scope(sessions) as session:
        assert paused_status_lines(session, team_id="T1") == [
            "<@U1>: UK · instant, paused since 26 Nov 2026 (Slack said cannot_dm_bot)",
            "<#C1>: EU · instant, paused since 26 Nov 2026 (Slack said not_in_channel)",
        ]
