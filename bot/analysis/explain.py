"""Why a development carries its tags and items: built from the evidence stored at ingest.

A development's jurisdictions and topics are the union of its items' (`merge_classifications`),
so each tag is explained by the items that carry it: the words (`term`), where they were seen,
their kind, role and weight. Countries named but not tagged keep their zero-weight or
below-threshold signals, under `not_tagged`. Each item says how it came into the development:
it started it, or it joined with a clustering score and the shared words, names and dates.

Pure: takes plain mappings (what the store holds), returns JSON-ready data or text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_MAX_SIGNALS = 8


def explain_development(
    development: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The explanation of one development.

    `development`: `id`, `title`, `jurisdictions`, `topics`, `importance`, `evidence`.
    `items`: in the development's order (oldest first), each with `id`, `title`, `url`,
    `source`, `published` (ISO or None), `jurisdictions`, `topics`, `evidence`.
    """
    jurisdictions: dict[str, dict[str, Any]] = {}
    for code in development.get("jurisdictions", []):
        jurisdictions[code] = {"items": _contributions(items, code, "jurisdictions")}
    topics: dict[str, dict[str, Any]] = {}
    for topic in development.get("topics", []):
        topics[topic] = {"items": _contributions(items, topic, "topics")}
    stored = development.get("evidence") or {}
    # The item that started it is the first without a clustering record (the others joined;
    # an item polled later may be dated earlier).
    starter = next(
        (n for n, i in enumerate(items) if not (i.get("evidence") or {}).get("clustering")), -1
    )
    return {
        "id": development.get("id"),
        "title": development.get("title", ""),
        "jurisdictions": jurisdictions,
        "topics": topics,
        "not_tagged": _not_tagged(development, items),
        "importance": {
            "level": development.get("importance", ""),
            "rules": list(stored.get("importance", [])),
        },
        "items": [_item_part(i, first=n == starter) for n, i in enumerate(items)],
    }


def _contributions(
    items: Sequence[Mapping[str, Any]], label: str, part: str
) -> list[dict[str, Any]]:
    """Each item tagged `label`, with the score and signals its own classification gave it."""
    out: list[dict[str, Any]] = []
    for item in items:
        if label not in item.get(part, []):
            continue
        found = (item.get("evidence") or {}).get(part, {}).get(label, {})
        signals = found.get("signals") if part == "jurisdictions" else found.get("terms")
        out.append(
            {
                "item": item.get("id"),
                "score": found.get("score"),
                "signals": list(signals or [])[:_MAX_SIGNALS],
            }
        )
    return out


def _not_tagged(
    development: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Jurisdictions some item names that the development does not carry, with their signals
    (a target's zero weight, a passing mention's quarter) and the rule that left them out."""
    tagged = set(development.get("jurisdictions", []))
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        evidence = item.get("evidence") or {}
        rules = [str(r) for r in evidence.get("rules", [])]
        for code, found in evidence.get("jurisdictions", {}).items():
            if code in tagged:
                continue
            why = [r for r in rules if r.startswith(f"{code}:")]
            out.setdefault(code, []).append(
                {
                    "item": item.get("id"),
                    "score": found.get("score"),
                    "signals": list(found.get("signals") or [])[:_MAX_SIGNALS],
                    "rules": why or [_below_text(found.get("score"))],
                }
            )
    return out


def _below_text(score: Any) -> str:
    if not score:
        return "named only as a target or in passing (weight 0)"
    return "too weak beside the actor"


def _item_part(item: Mapping[str, Any], *, first: bool) -> dict[str, Any]:
    evidence = item.get("evidence") or {}
    clustering = evidence.get("clustering")
    if clustering:
        joined: dict[str, Any] = {
            "how": "joined",
            "score": clustering.get("score"),
            "why": clustering.get("why", ""),
        }
    else:
        joined = {
            "how": "started" if first else "joined",
            "score": None,
            "why": "no earlier development matched" if first else "no clustering record kept",
        }
    return {
        "id": item.get("id"),
        "title": item.get("title", ""),
        "source": item.get("source", ""),
        "url": item.get("url", ""),
        "published": item.get("published"),
        "jurisdictions": list(item.get("jurisdictions", [])),
        "topics": list(item.get("topics", [])),
        "joined": joined,
        "importance": evidence.get("importance", {}),
        "rules": list(evidence.get("rules", [])),
    }


def render_explanation(explanation: Mapping[str, Any]) -> str:
    """The explanation as plain text, for `policybot explain`."""
    lines = [f"Development {explanation['id']}: {explanation['title']}"]
    lines.append("")
    lines.append("Jurisdictions (item: score; words [kind, where, role] weight)")
    if not explanation["jurisdictions"]:
        lines.append("  none")
    for code, part in explanation["jurisdictions"].items():
        for n, contribution in enumerate(part["items"]):
            head = f"  {code:<5}" if n == 0 else " " * 7
            lines.append(f"{head} item {contribution['item']}: {_score(contribution['score'])}")
            lines.extend(f"          {_signal(s)}" for s in contribution["signals"])
    if explanation["not_tagged"]:
        lines.append("  named but not tagged:")
        for code, parts in explanation["not_tagged"].items():
            for part in parts:
                words = ", ".join(_signal(s) for s in part["signals"][:3])
                rules = "; ".join(part["rules"])
                lines.append(
                    f"  {code:<5} item {part['item']}: {rules}" + (f" ({words})" if words else "")
                )
    lines.append("")
    lines.append("Topics (item: score; words and where)")
    if not explanation["topics"]:
        lines.append("  none: not AI or chip policy")
    for topic, part in explanation["topics"].items():
        for n, contribution in enumerate(part["items"]):
            head = f"  {topic}" if n == 0 else "  " + " " * len(topic)
            terms = ", ".join(
                f"{t.get('term')} ({t.get('where')})" for t in contribution["signals"]
            )
            lines.append(
                f"{head}  item {contribution['item']}: {_score(contribution['score'])}  {terms}"
            )
    lines.append("")
    importance = explanation["importance"]
    lines.append(f"Importance: {importance['level']}")
    lines.extend(f"  {rule}" for rule in importance["rules"])
    lines.append("")
    lines.append("Items (how each came into this development)")
    for item in explanation["items"]:
        tags = ",".join(item["jurisdictions"]) or "-"
        topics = ",".join(item["topics"]) or "-"
        lines.append(
            f"  {item['id']}  {(item['published'] or '')[:10]}  {item['source']}: {item['title']}"
        )
        lines.append(f"      tags {tags} / {topics}")
        joined = item["joined"]
        if joined["how"] == "joined":
            lines.append(f"      joined: {joined['why']}")
        else:
            lines.append(f"      {joined['how']}: {joined['why']}")
        lines.extend(f"      rule: {rule}" for rule in item["rules"])
    return "\n".join(lines) + "\n"


def _score(value: Any) -> str:
    return "score ?" if value is None else f"score {float(value):.2f}"


def _signal(signal: Mapping[str, Any]) -> str:
    """`BIS [agencies, title, actor, subject] 9.00`; a term several governments share says
    so: `Secretary of State [agencies, text, actor, shared by UK/US] 4.50`."""
    notes = [str(signal.get(k)) for k in ("kind", "where", "role")]
    if signal.get("subject"):
        notes.append("subject")
    if signal.get("shared"):
        notes.append("shared by " + "/".join(str(c) for c in signal["shared"]))
    return f"{signal.get('term')} [{', '.join(notes)}] {float(signal.get('score') or 0):.2f}"
