"""The alert message builder: grouped developments, why each was sent, unsubscribe buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from bot.slack.blocks.alerts import (
    ALERT_METADATA_EVENT,
    AlertDevelopment,
    AlertMessage,
    AlertSubscription,
    build_alert_message,
    why_line,
)
from bot.slack.blocks.text import MESSAGE_BLOCK_LIMIT


def _dev(i: int, **kw: object) -> AlertDevelopment:
    base: dict[str, object] = {
        "id": i,
        "title": f"Rule {i}",
        "summary": "BIS tightens controls",
        "url": f"https://example.gov/{i}",
        "jurisdictions": ("UK",),
        "topics": ("export-controls",),
        "importance": "high",
        "published_at": datetime(2026, 11, 20, tzinfo=UTC),
        "reasons": ("UK, export-controls",),
    }
    base.update(kw)
    return AlertDevelopment(**base)  # type: ignore[arg-type]


SUB = AlertSubscription(id=7, label="UK · export-controls · instant")


def _all_text(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_a_single_alert_says_why_and_has_an_unsubscribe_button() -> None:
    payload = build_alert_message(AlertMessage(developments=[_dev(1)], subscriptions=[SUB]))
    text = _all_text(payload)
    assert "you follow UK, export-controls" in text
    assert "you follow UK, export-controls" in str(payload["text"])
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1
    button = actions[0]["elements"][0]
    assert button["value"] == "7"
    assert button["action_id"].startswith("alert_unsubscribe")
    assert "<https://example.gov/1|Rule 1>" in text


def test_outside_text_is_escaped() -> None:
    dev = _dev(1, title="<!channel> & <https://evil|gov.uk>", summary="a < b", url=None)
    payload = build_alert_message(AlertMessage(developments=[dev], subscriptions=[SUB]))
    text = _all_text(payload)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil|gov.uk&gt;" in text
    assert "a &lt; b" in text


def test_many_developments_are_grouped_up_to_a_limit_then_and_n_more() -> None:
    devs = [_dev(i, jurisdictions=("UK", "EU")) for i in range(1, 14)]
    payload = build_alert_message(AlertMessage(developments=devs, subscriptions=[SUB], limit=10))
    sections = [b for b in payload["blocks"] if b["type"] == "section"]
    assert len(sections) == 10
    text = _all_text(payload)
    assert "and 3 more" in text
    assert "/policy latest UK EU" in text
    assert "13 developments" in payload["blocks"][0]["text"]["text"]


def test_the_message_stays_inside_slacks_block_limit_whatever_the_limit_asked() -> None:
    devs = [_dev(i) for i in range(200)]
    payload = build_alert_message(AlertMessage(developments=devs, subscriptions=[SUB], limit=500))
    assert len(payload["blocks"]) <= MESSAGE_BLOCK_LIMIT


def test_an_update_is_labelled_as_such() -> None:
    payload = build_alert_message(
        AlertMessage(developments=[_dev(1, is_update=True)], subscriptions=[SUB])
    )
    assert "Updated:" in _all_text(payload)
    assert "updated development" in payload["blocks"][0]["text"]["text"]


def test_the_batch_id_travels_in_message_metadata() -> None:
    payload = build_alert_message(
        AlertMessage(developments=[_dev(1)], subscriptions=[SUB], batch_id="abc")
    )
    assert payload["metadata"] == {
        "event_type": ALERT_METADATA_EVENT,
        "event_payload": {"batch_id": "abc"},
    }


def test_a_digest_has_its_own_heading() -> None:
    payload = build_alert_message(
        AlertMessage(developments=[_dev(1), _dev(2)], subscriptions=[SUB], digest=True)
    )
    assert payload["blocks"][0]["text"]["text"] == "Your daily policy digest: 2 developments"


def test_several_subscriptions_get_one_labelled_button_each() -> None:
    subs = [AlertSubscription(id=i, label=f"S{i}") for i in range(1, 4)]
    payload = build_alert_message(AlertMessage(developments=[_dev(1)], subscriptions=subs))
    actions = next(b for b in payload["blocks"] if b["type"] == "actions")
    assert [e["value"] for e in actions["elements"]] == ["1", "2", "3"]
    assert len({e["action_id"] for e in actions["elements"]}) == 3
    assert actions["elements"][1]["text"]["text"] == "Unsubscribe: S2"


def test_why_line_joins_several_reasons() -> None:
    assert why_line(["UK", "EU, sovereignty"]) == "you follow UK and EU, sovereignty"


def test_every_block_is_valid_for_slack_sdk_models() -> None:
    from slack_sdk.models.blocks import Block

    subs = [AlertSubscription(id=i, label=f"S{i}") for i in range(1, 8)]
    payload = build_alert_message(
        AlertMessage(developments=[_dev(i) for i in range(30)], subscriptions=subs)
    )
    for block in payload["blocks"]:
        cast(Block, Block.parse(block)).validate_json()


def test_an_alert_says_when_each_development_takes_effect_or_is_due() -> None:
    act = _dev(1, timeline=("takes effect 2 August 2026",))
    consultation = _dev(2, timeline=("due 17 January 2027", "takes effect 1 June 2027"))
    payload = build_alert_message(
        AlertMessage(developments=[act, consultation, _dev(3)], subscriptions=[SUB])
    )
    contexts = [
        e["text"]
        for b in cast(list[dict[str, Any]], payload["blocks"])
        if b["type"] == "context"
        for e in b["elements"]
    ]
    assert "published 20 Nov 2026 · takes effect 2 August 2026" in contexts[0]
    assert "due 17 January 2027 · takes effect 1 June 2027" in contexts[1]
    assert "takes effect" not in contexts[2] and "due" not in contexts[2]
    text = cast(str, payload["text"])
    assert "• Rule 1 (takes effect 2 August 2026)" in text
    assert "• Rule 2 (due 17 January 2027; takes effect 1 June 2027)" in text


def test_alert_dates_are_escaped() -> None:
    payload = build_alert_message(
        AlertMessage(developments=[_dev(1, timeline=("<!here> & due",))], subscriptions=[SUB])
    )
    assert "<!here>" not in _all_text(payload)
    assert "&lt;!here&gt; &amp; due" in _all_text(payload)
