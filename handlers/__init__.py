"""Slack listeners. `register_all(app, deps)` wires every handler module into a Bolt app.

Each module has `register(app, deps)` and one small function per subcommand or action; none
holds module-level state. Only `policybot serve` (and tests) call this.
"""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import actions, home, policy, subscriptions

HANDLER_MODULES = (policy, actions, subscriptions, home)


def register_all(app: App, deps: Deps) -> None:
    for module in HANDLER_MODULES:
        module.register(app, deps)
