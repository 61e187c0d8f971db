"""The mutants `bench/mutants.py` tries: small, realistic bugs in the exactly-once and security
core, each with the promise it would break. Add one whenever a review finds a plausible bug the
tests might miss; update `original` when the code it quotes moves (the bench reports `stale`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    path: str
    name: str
    original: str
    mutated: str
    bug: str  # what the mutant lets through
    equivalent: str = ""  # why no behaviour differs, when judged equivalent
    tests: tuple[str, ...] = ()  # instead of the module's TESTS_FOR entry


ALERT_TESTS = ("tests/bot/alerts", "tests/handlers", "tests/bot/cli/test_cli_alerts.py")
SLACK_TESTS = ("tests/bot/slack", "tests/handlers", "tests/bot/cli/test_serve.py")
SOURCE_TESTS = ("tests/bot/sources",)
BRIEFING_TESTS = (
    "tests/bot/briefings",
    "tests/bot/cli/test_cli_brief.py",
    "tests/bot/test_schedule.py",
)
TESTS_FOR: dict[str, tuple[str, ...]] = {
    "bot/alerts/delivery.py": ALERT_TESTS,
    "bot/alerts/claims.py": ALERT_TESTS,
    "bot/alerts/matching.py": ALERT_TESTS,
    "bot/alerts/recovery.py": ALERT_TESTS,
    "bot/alerts/sending.py": ALERT_TESTS,
    "bot/alerts/transport.py": ALERT_TESTS,
    "bot/briefings/briefing.py": BRIEFING_TESTS,
    "bot/briefings/claims.py": BRIEFING_TESTS,
    "bot/briefings/recovery.py": BRIEFING_TESTS,
    "bot/briefings/posting.py": BRIEFING_TESTS,
    "bot/briefings/plan.py": BRIEFING_TESTS,
    "bot/slack/web.py": SLACK_TESTS,
    "bot/slack/request_guard.py": SLACK_TESTS,
    "bot/slack/app.py": SLACK_TESTS,
    "bot/slack/command_service.py": SLACK_TESTS,
    "bot/sources/netguard.py": SOURCE_TESTS,
    "bot/sources/fetch.py": SOURCE_TESTS,
}

BRIEFINGS = [
    Mutant(
        "bot/briefings/claims.py",
        "take-over-without-compare-and-set",
        "        .where(col(Briefing.claimed_by) == existing.claimed_by)\n",
        "",
        "two resumers can both take over one expired claim",
    ),
    Mutant(
        "bot/briefings/claims.py",
        "renew-without-owner",
        "        .where(col(Briefing.id) == briefing_id, col(Briefing.claimed_by) == owner)\n",
        "        .where(col(Briefing.id) == briefing_id)\n",
        "a run that lost its claim keeps posting",
    ),
    Mutant(
        "bot/briefings/claims.py",
        "renew-a-lapsed-lease",
        "        .where(col(Briefing.lease_until) > now)\n",
        "",
        "a holder whose lease lapsed renews it and races the replica resuming its thread",
    ),
    Mutant(
        "bot/briefings/claims.py",
        "heartbeat-slower-than-the-lease",
        "        every = lease.total_seconds() / 3 if every is None else every\n",
        "        every = lease.total_seconds() * 3 if every is None else every\n",
        "a long Retry-After lets a live poster's lease lapse, and another replica resumes it",
    ),
    Mutant(
        "bot/heartbeat.py",
        "heartbeat-never-beats",
        "        while not self.lost and not self._stop.wait(self.every):\n",
        "        while False:\n",
        "a live poster stalled on Slack loses its claim to a resumer",
        tests=BRIEFING_TESTS,
    ),
    Mutant(
        "bot/briefings/claims.py",
        "stalled-includes-live-claims",
        "            .where(col(Briefing.lease_until) <= now)\n",
        "",
        "the resume job lists briefings whose holder is alive and posting",
        equivalent="`_resume` checks the lapse again on the row it loads before its "
        "compare-and-set, so a live claim listed here is still left alone (the filter only "
        "saves a round trip per live briefing)",
    ),
    Mutant(
        "bot/briefings/briefing.py",
        "resume-without-lapse-recheck",
        "        if not lapsed or not take_over(session, briefing, owner=owner, now=now, lease=lease):\n",
        "        if not take_over(session, briefing, owner=owner, now=now, lease=lease):\n",
        "a resumer that listed a claim just taken over by another takes it from the new holder",
    ),
    Mutant(
        "bot/briefings/briefing.py",
        "resume-earlier-with-a-live-lease",
        "            .where(col(Briefing.lease_until) <= now)\n",
        "",
        "yesterday's briefing whose lease is still live is resumed by today's run",
    ),
    Mutant(
        "bot/briefings/recovery.py",
        "recover-parent-of-any-briefing",
        '            and payload.get("briefing_id") == briefing_id\n',
        "",
        "a resumed briefing adopts another day's parent and replies into yesterday's thread",
    ),
    Mutant(
        "bot/briefings/recovery.py",
        "recovered-replies-not-adopted",
        "            if post.id in found:\n",
        "            if False:\n",
        "a reply Slack took just before the crash is posted again by the resumer",
    ),
    Mutant(
        "bot/briefings/posting.py",
        "resume-skips-the-history",
        "        if briefing.parent_ts and pending:\n",
        "        if False:\n",
        "a resumed thread repeats the reply that was in flight when its poster died",
    ),
    Mutant(
        "bot/briefings/posting.py",
        "reply-posted-without-checking-the-claim",
        "        keeper.check()\n        result = post_one(\n            poster,\n            channel,\n"
        "            message,\n",
        "        result = post_one(\n            poster,\n            channel,\n            message,\n",
        "a poster whose claim was taken over posts one more reply",
    ),
    Mutant(
        "bot/briefings/posting.py",
        "reply-recorded-without-renewal",
        "            renew_claim(\n"
        "                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=lease\n"
        "            )\n"
        "            row = session.get(BriefingPost, post_id)\n",
        "            row = session.get(BriefingPost, post_id)\n",
        "a reply is recorded by a run that lost its claim (and the lease rests on the heartbeat)",
    ),
    Mutant(
        "bot/briefings/posting.py",
        "interrupted-run-keeps-its-lease",
        "                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=timedelta(0)\n",
        "                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=lease\n",
        "a thread interrupted by a transient error waits a lease before anyone resumes it",
    ),
    Mutant(
        "bot/briefings/plan.py",
        "plan-includes-posted-developments",
        "        if d.id is not None and d.id not in known and wanted.matches(d.jurisdictions, d.topics)\n",
        "        if d.id is not None and wanted.matches(d.jurisdictions, d.topics)\n",
        "a retry after a fatal error mid-thread never completes",
    ),
]

ALERTS = [
    Mutant(
        "bot/alerts/delivery.py",
        "claim-without-delivered-filter",
        "            if (team_id, subscriber_id, m.development.id, m.development.revision) not in exact\n",
        "            if True\n",
        "what a subscriber already has is claimed again (only the unique constraint stops it)",
    ),
    Mutant(
        "bot/alerts/delivery.py",
        "send-what-was-pending-not-what-was-claimed",
        "        claimed = [m for m in pending if (m.development.id, m.development.revision) in got]\n",
        "        claimed = pending\n",
        "a development another process claimed in the meantime is still sent",
    ),
    Mutant(
        "bot/alerts/delivery.py",
        "digest-resent-the-same-day",
        "            if s.created_at <= due_at and (s.last_digest_at is None or s.last_digest_at < due_at)\n",
        "            if s.created_at <= due_at\n",
        "a daily subscriber gets a second digest the same day",
    ),
    Mutant(
        "bot/alerts/delivery.py",
        "digest-day-done-despite-failure",
        "        if not send_batch(deps, sender, batch, report) and report.failed > before:\n",
        "        if not send_batch(deps, sender, batch, report) and False:\n",
        "a digest that failed to send is marked done and never retried that day",
    ),
    Mutant(
        "bot/alerts/delivery.py",
        "digest-before-the-briefing-time",
        "    if due > local:\n",
        "    if due > local + timedelta(days=1):\n",
        "digests go out before the day's briefing time",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "claim-without-on-conflict",
        "    session.execute(upsert_insert(session, Delivery).values(rows).on_conflict_do_nothing())\n",
        "    session.execute(upsert_insert(session, Delivery).values(rows))\n",
        "a concurrent claim fails the whole run instead of skipping what is taken",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "claim-returns-the-subscriber-rows",
        "        select(Delivery.development_id, Delivery.revision).where(Delivery.batch_id == batch_id)\n",
        "        select(Delivery.development_id, Delivery.revision).where(\n"
        "            Delivery.subscriber_id == subscriber_id\n"
        "        )\n",
        "rows another process claimed count as ours",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "expired-claim-not-stale",
        "            .values(lease_until=deps.clock())\n",
        "            .values(lease_until=deps.clock() + CLAIM_LEASE)\n",
        "an ambiguous failure waits a whole lease before it is checked",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "alert-renew-without-owner",
        "        .where(col(Delivery.claimed_by) == owner, col(Delivery.lease_until) > now)\n",
        "        .where(col(Delivery.lease_until) > now)\n",
        "a sender whose batch was taken over keeps the new holder's lease alive as its own",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "alert-renew-a-lapsed-lease",
        "        .where(col(Delivery.claimed_by) == owner, col(Delivery.lease_until) > now)\n",
        "        .where(col(Delivery.claimed_by) == owner)\n",
        "a sender whose lease lapsed renews it and races the replica recovering its batch",
    ),
    Mutant(
        "bot/heartbeat.py",
        "alert-heartbeat-never-beats",
        "        while not self.lost and not self._stop.wait(self.every):\n",
        "        while False:\n",
        "a slow send (a long Retry-After) loses its claim and the alert goes out twice",
        tests=ALERT_TESTS,
    ),
    Mutant(
        "bot/alerts/claims.py",
        "alert-heartbeat-slower-than-the-lease",
        "        every = CLAIM_LEASE.total_seconds() / 3 if every is None else every\n",
        "        every = CLAIM_LEASE.total_seconds() * 3 if every is None else every\n",
        "the lease lapses between two beats while a live sender waits on Slack",
    ),
    Mutant(
        "bot/alerts/claims.py",
        "legacy-claims-never-stale",
        "            col(Delivery.claimed_at) < now - LEGACY_CLAIM_LEASE,\n",
        "            False,\n",
        "a claim written before leases were stored (rolling deploy) is never recovered",
    ),
    Mutant(
        "bot/alerts/sending.py",
        "send-despite-a-lost-claim",
        "            if keeper.lost:  # another process took the batch over: it decides\n",
        "            if False:\n",
        "a sender whose batch was taken over while it opened the DM posts it beside the recoverer",
    ),
    Mutant(
        "bot/alerts/recovery.py",
        "resend-despite-a-lost-claim",
        "    if keeper.lost:  # another process took the batch over: it decides\n",
        "    if False:\n",
        "a recoverer that lost the batch while reading the history sends it beside the new one",
    ),
    Mutant(
        "bot/alerts/matching.py",
        "match-without-importance",
        "    if sub.min_importance:\n"
        "        return IMPORTANCE_RANK.get(dev.importance, 0) >= "
        "IMPORTANCE_RANK.get(sub.min_importance, 0)\n",
        "",
        "a subscriber asking for high importance hears of everything",
    ),
    Mutant(
        "bot/alerts/matching.py",
        "match-older-than-the-subscription",
        "                if dev.updated_at < sub.created_at or not subscription_matches(sub, dev):\n",
        "                if not subscription_matches(sub, dev):\n",
        "a new subscriber is flooded with the backlog",
    ),
    Mutant(
        "bot/alerts/matching.py",
        "update-not-marked",
        "        any_rev.add((team_id, subscriber_id, int(dev_id)))\n",
        "",
        "an updated development is alerted as if it were new",
    ),
    Mutant(
        "bot/alerts/recovery.py",
        "recovery-compare-and-set-without-lease-age",
        "                lease_lapsed(now),\n",
        "",
        "two recoverers of one stale batch both send",
    ),
    Mutant(
        "bot/alerts/recovery.py",
        "unreadable-history-retried-forever",
        "        if exc.transient:\n            # Try again once the lease",
        "        if True:\n            # Try again once the lease",
        "an unverifiable batch stays claimed instead of being marked failed",
    ),
    Mutant(
        "bot/alerts/recovery.py",
        "history-window-after-the-claim",
        "    oldest = min(r.claimed_at for r in rows) - timedelta(minutes=1)\n",
        "    oldest = min(r.claimed_at for r in rows) + timedelta(minutes=1)\n",
        "a message sent just after the claim is not found and is sent twice",
    ),
    Mutant(
        "bot/alerts/transport.py",
        "find-batch-without-batch-id",
        '                    and event_payload.get("batch_id") == batch_id\n',
        "",
        "a stale batch is marked sent because of another alert, and its alert is lost",
    ),
    Mutant(
        "bot/alerts/transport.py",
        "rate-limit-counted-ambiguous",
        '        return self.transient and self.code not in ("ratelimited", "rate_limited")\n',
        "        return self.transient\n",
        "a rate-limited send keeps a stale claim instead of being released",
    ),
    Mutant(
        "bot/alerts/sending.py",
        "ambiguous-failure-released",
        "    elif error.transient and maybe_posted:\n",
        "    elif error.transient and False:\n",
        "a message Slack may have taken is sent again without a history check",
    ),
]

WEB = [
    Mutant(
        "bot/slack/request_guard.py",
        "signature-without-window",
        "    if abs(time.time() - int(timestamp)) > REPLAY_WINDOW_SECONDS:\n"
        '        return Refusal(401, "stale timestamp")\n'
        "    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):\n",
        # The HMAC alone (SignatureVerifier.is_valid would check the window too).
        '    if not __import__("hmac").compare_digest(\n'
        '        verifier.generate_signature(timestamp=timestamp, body=body) or "", signature\n'
        "    ):\n",
        "a 6-minute-old signed request (a replayed retry) is accepted",
    ),
    Mutant(
        "bot/slack/web.py",
        "refused-request-marked-seen",
        "        if 200 <= bolt_response.status < 300:\n            seen.add(key)\n",
        "        seen.add(key)\n",
        "after a forged copy is refused, the genuine signed retry is never processed",
    ),
    Mutant(
        "bot/slack/request_guard.py",
        "signature-not-checked",
        "    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):\n",
        "    if False:\n",
        "a forged request with a fresh timestamp is processed (or short-cut as a retry)",
    ),
    Mutant(
        "bot/slack/web.py",
        "seen-before-processing",
        "        key = delivery_key(body, content_type)\n",
        "        key = delivery_key(body, content_type)\n        seen.add(key)\n",
        "a retry of an event never processed is acknowledged and dropped",
    ),
    Mutant(
        "bot/slack/web.py",
        "dispatch-error-detail-leaks",
        '            return PlainTextResponse("internal error", status_code=500)\n        if 200',
        "            raise\n        if 200",
        "an unexpected dispatch error is not turned into a bare 500",
        equivalent="Starlette's exception handler registered in the same app turns the "
        "re-raised error into the same bare 500 without detail",
    ),
    Mutant(
        "bot/slack/web.py",
        "healthz-ignores-old-polls",
        "        if age > limit:\n",
        "        if age > limit * 100:\n",
        "a bot whose polls stopped two days ago reports healthy",
    ),
    Mutant(
        "bot/slack/app.py",
        "http-mode-without-verification",
        "        request_verification_enabled=not socket_mode,\n",
        "        request_verification_enabled=socket_mode,\n",
        "forged HTTP requests are processed",
    ),
    Mutant(
        "bot/slack/app.py",
        "http-mode-without-signing-secret",
        "    else:\n        signing_secret = settings.require_signing_secret()\n",
        "    else:\n        signing_secret = ''\n",
        "HTTP mode starts without a signing secret (and refuses every request)",
    ),
    Mutant(
        "bot/slack/app.py",
        "command-failure-is-silent",
        '        if isinstance(body, dict) and body.get("command"):\n',
        "        if False:\n",
        "a /policy command that failed gets no reply at all",
    ),
]

SOURCES = [
    Mutant(
        "bot/sources/netguard.py",
        "trailing-dot-kept",
        '    host = (parts.hostname or "").rstrip(".").lower()\n',
        '    host = (parts.hostname or "").lower()\n',
        "`localhost.` and `metadata.google.internal.` pass the name check",
    ),
    Mutant(
        "bot/sources/netguard.py",
        "localhost-subdomains-allowed",
        ' or host == "localhost" or host.endswith(".localhost"):\n',
        ' or host == "localhost":\n',
        "`app.localhost` passes the name check",
    ),
    Mutant(
        "bot/sources/netguard.py",
        "ipv4-mapped-not-unwrapped",
        "    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:\n",
        "    if False:\n",
        "`::ffff:127.0.0.1` reaches loopback",
    ),
    Mutant(
        "bot/sources/netguard.py",
        "only-first-address-checked",
        "    for address in addresses:\n",
        "    for address in addresses[:1]:\n",
        "a name answering one public and one private address is allowed",
    ),
    Mutant(
        "bot/sources/netguard.py",
        "carrier-grade-nat-allowed",
        '    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):\n',
        "    if False:\n",
        "100.64.0.0/10 (shared address space) is reachable",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "redirect-not-rechecked",
        "                allow_private=self.limits.allow_private,\n",
        "                allow_private=self.limits.allow_private or hop > 0,\n",
        "a public URL redirecting to an internal address is followed",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "connection-not-pinned",
        "                    request = _pinned_request(self._client, current, headers, addresses)\n",
        "                    request = _pinned_request(self._client, current, headers, [])\n",
        "DNS rebinding: the connection resolves the name again after the check",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "stream-cap-unchecked",
        "            if size > self.limits.max_bytes:\n",
        "            if False:\n",
        "a body without Content-Length (or a gzip bomb) is read past the cap",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "redirects-unbounded",
        "            if hop == MAX_REDIRECTS:\n",
        "            if hop == MAX_REDIRECTS + 1:\n",
        "a redirect loop is followed past five hops",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "deadline-per-hop",
        "                if deadline is None:\n",
        "                if True:\n",
        "a chain of slow redirects outlasts the total deadline",
    ),
    Mutant(
        "bot/sources/fetch.py",
        "error-body-kept",
        '        if result.status == "error":\n            result.body = b""\n',
        "",
        "an error page's body is parsed as if it were the feed",
        equivalent="the body is only assigned on the success path, right before the status "
        "becomes ok, so an error result never holds one; the clearing is belt and braces",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "anyone-adds-sources",
        "    if not is_admin(deps.settings, user_id):\n"
        '        return notice("Only policybot admins (`POLICYBOT_ADMINS`) can add sources.")\n',
        "",
        "any workspace member adds a source",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "anyone-removes-sources",
        "    if not is_admin(deps.settings, user_id):\n"
        '        return notice("Only policybot admins (`POLICYBOT_ADMINS`) can remove sources.")\n',
        "",
        "any workspace member removes a source",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "source-url-not-checked",
        "        check_url(command.url, allow_private=deps.settings.allow_private_sources)\n",
        "        check_url(command.url, allow_private=True)\n",
        "a source pointing at an internal address is added from Slack",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "empty-admin-id",
        "    return bool(user_id) and user_id in settings.admins\n",
        "    return user_id in settings.admins\n",
        "an empty user id counts as an admin when the admin list has an empty entry",
        equivalent="settings.admins never holds an empty id (the setting splits on commas "
        "and drops empty parts), so no input reaches the difference",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "search-terms-unescaped",
        '    heading = f"Developments matching “{escape_and_truncate(terms, 200)}” ({len(cited)})"\n',
        '    heading = f"Developments matching “{terms[:200]}” ({len(cited)})"\n',
        "a search echoes `<!channel>` or a link unescaped into Slack",
    ),
    Mutant(
        "bot/slack/command_service.py",
        "duplicate-source-url-added",
        "        if watched is not None:\n",
        "        if False:\n",
        "the same URL is watched twice under two names",
    ),
]

CATALOGUE: list[Mutant] = [*BRIEFINGS, *ALERTS, *WEB, *SOURCES]
