"""What the briefing modules share: claim statuses, the lease, message metadata, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# A claim's lease: short, so a crashed poster's claim lapses quickly, and kept alive while its
# holder posts (renewed as each message is recorded, and by a heartbeat every third of it).
DEFAULT_LEASE = timedelta(seconds=45)

# Slack message metadata that ties a posted message to its row (see `bot.briefings.recovery`).
METADATA_EVENT = "policybot_briefing_reply"
PARENT_METADATA_EVENT = "policybot_briefing"

# Briefing.status values.
CLAIMED, POSTED, COMPLETE, FAILED = "claimed", "posted", "complete", "failed"
OPEN = (CLAIMED, POSTED)  # a run is (or was, before a crash) posting it


@dataclass(frozen=True)
class BriefingOutcome:
    """What one run did for one channel.

    status: complete (posted now), quiet (nothing to brief), already_complete, in_progress
    (another process holds the claim), failed (Slack refused the channel), interrupted (a
    transient error; the next run resumes).
    """

    channel: str
    period: str
    status: str
    parent_ts: str | None = None
    replies_posted: int = 0
    resumed: bool = False
    error: str | None = None


class LeaseLost(Exception):
    """Another process took the claim over (our lease had lapsed): stop posting at once."""
