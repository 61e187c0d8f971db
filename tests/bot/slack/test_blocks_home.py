"""The App Home view builder."""

from __future__ import annotations

import json
from typing import cast

from bot.slack.blocks.alerts import AlertDevelopment
from bot.slack.blocks.home import (
    ADD_BUTTON_ACTION,
    ADD_JURISDICTION_ACTION,
    ADD_MODE_ACTION,
    ADD_TOPIC_ACTION,
    HomeSubscription,
    build_home_view,
)
from bot.slack.blocks.text import HOME_BLOCK_LIMIT


def _action_ids(view: dict[str, object]) -> list[str]:
    ids: list[str] = []
    for block in view["blocks"]:  # type: ignore[attr-defined]
        for element in block.get("elements", []):
            if "action_id" in element:
                ids.append(element["action_id"])
        accessory = block.get("accessory")
        if accessory:
            ids.append(accessory["action_id"])
    return ids


def test_the_home_view_lists_subscriptions_with_remove_buttons() -> None:
    subs = [
        HomeSubscription(id=3, label="UK, EU · instant"),
        HomeSubscription(id=4, label="NL · daily digest"),
    ]
    view = build_home_view(subscriptions=subs, latest=[])
    assert view["type"] == "home"
    removes = [b["accessory"] for b in view["blocks"] if b.get("accessory")]
    assert [r["value"] for r in removes] == ["3", "4"]
    assert "UK, EU · instant" in json.dumps(view, ensure_ascii=False)


def test_the_home_view_has_selects_to_add_a_subscription() -> None:
    view = build_home_view(subscriptions=[], latest=[])
    ids = _action_ids(view)
    for action in (ADD_JURISDICTION_ACTION, ADD_TOPIC_ACTION, ADD_MODE_ACTION, ADD_BUTTON_ACTION):
        assert action in ids
    text = json.dumps(view)
    assert "You follow nothing yet" in text


def test_the_home_view_shows_the_latest_developments_escaped() -> None:
    latest = [
        AlertDevelopment(
            id=1,
            title="<!here> EU AI Act",
            url="https://eur-lex.europa.eu/x",
            jurisdictions=("EU",),
        )
    ]
    view = build_home_view(
        subscriptions=[HomeSubscription(id=1, label="EU · instant")], latest=latest
    )
    text = json.dumps(view)
    assert "<!here>" not in text
    assert "&lt;!here&gt; EU AI Act" in text


def test_a_paused_subscription_says_so() -> None:
    view = build_home_view(
        subscriptions=[
            HomeSubscription(id=1, label="EU · instant", paused_reason="Slack said cannot_dm_bot")
        ],
        latest=[],
    )
    assert "paused (Slack said cannot_dm_bot)" in json.dumps(view)


def test_the_home_view_never_exceeds_100_blocks() -> None:
    subs = [HomeSubscription(id=i, label=f"S{i}") for i in range(300)]
    latest = [AlertDevelopment(id=i, title=f"D{i}", jurisdictions=("US",)) for i in range(300)]
    view = build_home_view(subscriptions=subs, latest=latest, notice="Added")
    assert len(view["blocks"]) <= HOME_BLOCK_LIMIT
    assert "more" in json.dumps(view)
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def test_the_view_is_valid_for_slack_sdk_models() -> None:
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    subs = [HomeSubscription(id=i, label=f"S{i}", paused_reason="gone") for i in range(50)]
    latest = [
        AlertDevelopment(id=i, title=f"D{i}", url="https://x.org", jurisdictions=("US",))
        for i in range(50)
    ]
    view = build_home_view(subscriptions=subs, latest=latest, notice="Added")
    View(**view).validate_json()
    for block in view["blocks"]:
        cast(Block, Block.parse(block)).validate_json()
