"""An explanation says, per tag, which item's words decided it, and how each item joined."""

from __future__ import annotations

from typing import Any

import pytest

from bot.analysis.classify import classify
from bot.analysis.explain import explain_development, render_explanation
from bot.analysis.taxonomy import load_taxonomy


def _item(item_id: int, title: str, text: str, **extra: Any) -> dict[str, Any]:
    verdict = classify(title, text, taxonomy=load_taxonomy())
    return {
        "id": item_id,
        "title": title,
        "url": f"https://example.org/{item_id}",
        "source": extra.pop("source", "wire"),
        "published": "2031-03-02T00:00:00+00:00",
        "jurisdictions": verdict.jurisdictions,
        "topics": verdict.topics,
        "evidence": {**verdict.evidence, **extra},
    }


def _development(items: list[dict[str, Any]]) -> dict[str, Any]:
    jurisdictions = list(dict.fromkeys(c for i in items for c in i["jurisdictions"]))
    topics = list(dict.fromkeys(t for i in items for t in i["topics"]))
    return {
        "id": 41,
        "title": items[0]["title"],
        "jurisdictions": jurisdictions,
        "topics": topics,
        "importance": "high",
        "evidence": {"importance": ["high: binding action (interim final rule)"]},
    }


def test_each_jurisdiction_names_the_items_and_words_that_decided_it() -> None:
    items = [
        _item(
            1,
            "BIS adds Quarrystone Micro to the Entity List over AI chip diversion",
            "The Bureau of Industry and Security added Quarrystone Micro, a Shenzhen reseller "
            "of AI accelerators, to the Entity List under the Export Administration Regulations.",
        ),
        _item(
            2,
            "Washington blacklists Chinese AI chip reseller Quarrystone",
            "The Commerce Department said the reseller shipped advanced chips to China.",
            clustering={
                "joined": 41,
                "score": 0.61,
                "why": "similarity 0.61 >= 0.15 (names: quarrystone)",
            },
        ),
    ]
    explanation = explain_development(_development(items), items)
    us = explanation["jurisdictions"]["US"]["items"]
    assert [c["item"] for c in us] == [1, 2]
    first = {s["term"]: s for s in us[0]["signals"]}
    assert first["BIS"]["kind"] == "agencies" and first["BIS"]["role"] == "actor"
    assert first["BIS"]["score"] > 0
    # China is named as the destination: not tagged, and the explanation says so.
    assert "CN" not in explanation["jurisdictions"]
    assert any(part["item"] == 2 for part in explanation["not_tagged"]["CN"])
    assert explanation["items"][0]["joined"]["how"] == "started"
    assert explanation["items"][1]["joined"] == {
        "how": "joined",
        "score": 0.61,
        "why": "similarity 0.61 >= 0.15 (names: quarrystone)",
    }


def test_topics_show_their_terms_and_the_text_reads_as_a_report() -> None:
    items = [
        _item(
            7,
            "Ministry of Economy, Trade and Industry tightens export controls on chipmaking tools",
            "METI added 23 items of semiconductor manufacturing equipment to its export control "
            "list; exporters need a licence from 1 June.",
            source="meti-press",
        )
    ]
    explanation = explain_development(_development(items), items)
    terms = explanation["topics"]["export-controls"]["items"][0]["signals"]
    assert any("export control" in t["term"].lower() for t in terms)
    text = render_explanation(explanation)
    assert text.startswith("Development 41: Ministry of Economy")
    assert "JP    item 7: score" in text
    assert "METI [agencies, text, actor, subject]" in text  # it opens its sentence
    assert "started: no earlier development matched" in text
    assert "Importance: high" in text


def test_a_development_without_topics_says_it_is_not_ai_policy() -> None:
    items = [_item(3, "Harbour authority reopens grain terminal", "Shipping resumed on Monday.")]
    explanation = explain_development(_development(items), items)
    assert explanation["topics"] == {}
    assert "none: not AI or chip policy" in render_explanation(explanation)


@pytest.mark.parametrize(
    ("title", "text", "code", "shown"),
    [
        (
            "Washington warns allies over AI chip diversion",
            "Officials in Washington said the Secretary of State would raise AI chip "
            "smuggling with partners next week.",
            "US",
            "Secretary of State [agencies, text, actor, shared by UK/US]",
        ),
        (
            "Council of Europe opens AI treaty review",
            "Strasbourg will host the first review of the AI convention, the Council of Europe "
            "said; parties will present national reports.",
            "INTL",
            "Strasbourg [places, text, actor, subject, shared by EU/INTL]",
        ),
    ],
)
def test_a_shared_term_says_which_governments_share_it(
    title: str, text: str, code: str, shown: str
) -> None:
    items = [_item(5, title, text)]
    explanation = explain_development(_development(items), items)
    assert code in explanation["jurisdictions"]
    assert shown in render_explanation(explanation)
