"""Daily briefings: what to brief, the exactly-once claim, posting the thread, resuming it.

The protocol is written at the top of `bot.briefings.briefing`. Modules: `plan` (what a
briefing holds), `render` (its Slack messages), `claims` (the claim row and its lease),
`posting` (the thread), `recovery` (adopting what Slack has), `briefing` (running it all).
"""

from bot.briefings.briefing import (
    briefing_settings_problem,
    resume_stalled_briefings,
    run_briefing,
    run_briefings,
)
from bot.briefings.internals import COMPLETE, DEFAULT_LEASE, BriefingOutcome
from bot.briefings.plan import (
    BriefingPlan,
    ChannelFilter,
    PlannedReply,
    parse_briefing_filters,
    period_for,
    plan_briefing,
)
from bot.briefings.render import (
    RenderedBriefing,
    briefing_payloads,
    preview_briefing,
    render_briefing_text,
    render_plan,
)

__all__ = [
    "COMPLETE",
    "DEFAULT_LEASE",
    "BriefingOutcome",
    "BriefingPlan",
    "ChannelFilter",
    "PlannedReply",
    "RenderedBriefing",
    "briefing_payloads",
    "briefing_settings_problem",
    "parse_briefing_filters",
    "period_for",
    "plan_briefing",
    "preview_briefing",
    "render_briefing_text",
    "render_plan",
    "resume_stalled_briefings",
    "run_briefing",
    "run_briefings",
]
