"""The Slack app manifest is valid and asks for exactly what the code uses.

The schema is Slack's own (copied into tests/fixtures/slack). What the code uses is read from
the source: the slash commands and events the handlers register, the interactive actions, and
the Web API methods called anywhere in `bot/` and `handlers/`, mapped to their bot scopes with
Slack's method facts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"

# When a method accepts several scopes, the ones a policybot deployment needs: it opens DMs
# only, and reads back threads and DMs (to recover after a crash) in public and private
# channels and in group DMs (channel alerts `here`). `conversations.history` is missing from
# the method facts, so it is listed here.
SCOPE_CHOICE = {
    "conversations.open": {"im:write"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.history": {"channels:history", "groups:history", "im:history", "mpim:history"},
}


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _code() -> str:
    parts = []
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _method_facts() -> dict[str, Any]:
    facts = json.loads((FIXTURES / "method_facts.json").read_text(encoding="utf-8"))
    methods = facts["methods"]
    assert isinstance(methods, dict)
    return methods


def _methods_called(code: str) -> set[str]:
    called = set()
    for method in [*_method_facts(), "conversations.history"]:
        python_name = method.replace(".", "_")
        if re.search(rf"\.{re.escape(python_name)}\(", code) or f'"{method}"' in code:
            called.add(method)
    # Bolt's say() posts with chat.postMessage.
    if re.search(r"\bsay\(", code):
        called.add("chat.postMessage")
    return called


def _scopes_needed(code: str) -> set[str]:
    facts = _method_facts()
    needed = set()
    for method in _methods_called(code):
        if method in SCOPE_CHOICE:
            needed |= SCOPE_CHOICE[method]
            continue
        bot_scopes = facts[method]["scopes"].get("bot", [])
        if bot_scopes:
            needed.add(bot_scopes[0])
    if _commands_registered(code):
        needed.add("commands")
    return needed


def _commands_registered(code: str) -> set[str]:
    return set(re.findall(r"""\.command\(\s*["'](/[a-z0-9_-]+)["']""", code))


def _events_registered(code: str) -> set[str]:
    return set(re.findall(r"""\.event\(\s*["']([a-z_.]+)["']""", code))


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads((FIXTURES / "manifest.schema.1.0.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(_manifest(), schema)


def test_schema_rejects_a_broken_manifest() -> None:
    schema = json.loads((FIXTURES / "manifest.schema.1.0.0.json").read_text(encoding="utf-8"))
    broken = _manifest()
    broken["features"]["slash_commands"][0]["command"] = "policy"  # no leading slash
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_manifest_declares_the_commands_the_handlers_register() -> None:
    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert declared == {"/policy"}
    assert _commands_registered(_code()) == declared


def test_manifest_subscribes_to_the_events_the_handlers_listen_for() -> None:
    events = set(_manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert "app_home_opened" in events
    assert _events_registered(_code()) == events
    assert _manifest()["features"]["app_home"]["home_tab_enabled"] is True


def test_manifest_asks_for_the_bot_scopes_the_code_needs_and_no_more() -> None:
    declared = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert declared == _scopes_needed(_code())
    assert "user" not in _manifest()["oauth_config"]["scopes"]  # no user-token scopes


def test_manifest_enables_interactivity_for_the_buttons() -> None:
    settings = _manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert re.search(r"""\.action\(""", _code()), "no interactive action is registered"


def test_request_urls_point_at_the_one_events_endpoint() -> None:
    manifest = _manifest()
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert all(url == "https://YOUR-HOST/slack/events" for url in urls)
    # HTTP mode by default; Socket Mode is one flag (README explains both).
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_alert_dms_land_in_a_messages_tab_that_is_on_and_read_only() -> None:
    app_home = _manifest()["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is True
