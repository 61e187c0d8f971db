"""Importance rules: document type, primary vs secondary, corroboration."""

from __future__ import annotations

import pytest

from bot.analysis.importance import ItemSignal, development_importance, item_importance


def _item(
    title: str,
    text: str = "",
    *,
    doc_type: str | None = None,
    primary: bool = True,
    source_id: int = 1,
    relevant: bool = True,
) -> ItemSignal:
    return ItemSignal(title, text, doc_type, primary, source_id, relevant)


@pytest.mark.parametrize(
    ("signal", "level"),
    [
        (_item("Export controls on AI chips", doc_type="Rule"), "high"),
        (
            _item("Implementation of controls", "This interim final rule takes effect today."),
            "high",
        ),
        (_item("President signs executive order on AI"), "high"),
        (_item("Commerce proposes rule on chips", doc_type="Proposed Rule"), "medium"),
        (_item("Government opens consultation on AI licensing"), "medium"),
        (_item("Ministers publish guidance on model security"), "medium"),
        (_item("Leaders issue joint statement on AI"), "medium"),
        (_item("Why the chip rule will backfire", doc_type="opinion", primary=False), "low"),
        (_item("Analysts weigh chip outlook", primary=False), "low"),
        (_item("China finalises rules for generative AI", primary=False), "high"),
        (_item("Tokyo sets licence duty for chip tools from 1 July", primary=False), "high"),
        (_item("Draft rule on AI chips", "The rule would take effect in 2027."), "medium"),
        (_item("Extension of Comment Period on chip rules", doc_type=None), "medium"),
    ],
)
def test_document_type_decides_item_importance(signal: ItemSignal, level: str) -> None:
    assert item_importance(signal)[0] == level


def test_secondary_report_of_a_binding_action_stays_high() -> None:
    report = _item("China bans gallium exports", "The ban takes effect immediately.", primary=False)
    assert item_importance(report)[0] == "high"


def test_a_development_takes_its_most_important_item() -> None:
    level, rules = development_importance(
        [_item("Op-ed", doc_type="opinion", primary=False), _item("Rule", doc_type="Rule")]
    )
    assert level == "high"
    assert any("binding" in rule for rule in rules)


def test_corroboration_by_several_sources_lifts_low_to_medium() -> None:
    alone, _ = development_importance([_item("Analysts weigh chip outlook", primary=False)])
    together, rules = development_importance(
        [
            _item("Analysts weigh chip outlook", primary=False, source_id=1),
            _item("Chip outlook debated", primary=False, source_id=2),
        ]
    )
    assert (alone, together) == ("low", "medium")
    assert any("corroborated" in rule for rule in rules)


def test_a_development_outside_ai_policy_is_low() -> None:
    level, _ = development_importance([_item("Rule", doc_type="Rule", relevant=False)])
    assert level == "low"
