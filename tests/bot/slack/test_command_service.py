"""What `/policy` subcommands reply, called directly (the Slack path is in tests/handlers)."""

from __future__ import annotations

import json

from bot.deps import Deps
from bot.slack.command_service import search_reply


def test_search_terms_are_escaped_when_echoed(deps: Deps) -> None:
    """Outside text never reaches Slack unescaped: `<!channel>` would notify everyone."""
    reply = search_reply(deps, terms="<!channel> & <https://evil.example|chips>", command_text="")
    shown = json.dumps(reply)
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|chips&gt;" in shown
