"""serve's schedule and shutdown pieces, in process."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from support.fakeslack import FakeSlack

from bot.demo.snapshot import ROUTES, demo_sources_toml, serve_snapshot
from bot.deps import Deps
from bot.schedule import briefing_job_id
from bot.service import (
    ServiceState,
    _drain_listeners,
    _guarded,
    bind_listener,
    build_service_scheduler,
    run_poll_round,
    serve_until_stopped,
)
from store.db import session_scope
from store.leases import lease_holder, try_lease


def _with_snapshot_sources(deps: Deps, tmp_path: Path, base: str, now: object) -> Deps:
    sources = tmp_path / "demo-sources.toml"
    sources.write_text(demo_sources_toml(base=base, now=now), "utf-8")  # type: ignore[arg-type]
    settings = deps.settings.model_copy(
        update={
            "sources_path": sources,
            "allow_private_sources": True,
            "fetch_host_interval_seconds": 0.0,
        }
    )
    return Deps(settings=settings, sessions=deps.sessions, engine=deps.engine)


def test_a_poll_round_is_skipped_while_another_replica_holds_it(deps: Deps) -> None:
    assert try_lease(
        deps.sessions, name="job:poll", holder="other", ttl=timedelta(minutes=5), now=deps.clock()
    )
    state = ServiceState()
    assert run_poll_round(deps, holder="me", client=None, state=state) is False
    assert state.skipped == 1 and state.polls == 0


def test_a_poll_round_fetches_the_due_sources_and_frees_its_lease(
    deps: Deps, tmp_path: Path
) -> None:
    with serve_snapshot(clock=deps.clock) as snapshot:
        deps = _with_snapshot_sources(deps, tmp_path, snapshot.base_url, snapshot.now)
        state = ServiceState()
        assert run_poll_round(deps, holder="me", client=None, state=state) is True
        assert len(snapshot.requests) == len(ROUTES)
        # Nothing is due any more: a second round fetches nothing.
        assert run_poll_round(deps, holder="me", client=None, state=state) is True
        assert len(snapshot.requests) == len(ROUTES)
    assert state.polls == 2
    with session_scope(deps.sessions) as session:
        assert lease_holder(session, name="job:poll", now=deps.clock()) is None


def test_the_scheduler_polls_alerts_and_briefs_each_channel(deps: Deps) -> None:
    settings = deps.settings.model_copy(update={"briefing_channels": ["C1", "C2"]})
    deps = Deps(settings=settings, sessions=deps.sessions, engine=deps.engine)
    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
    scheduler, _ = build_service_scheduler(deps, client=client)
    ids = {job.id for job in scheduler.get_jobs()}
    assert {"poll", "alerts", "alert-recovery", briefing_job_id("C1"), briefing_job_id("C2")} <= ids

    without_slack, _ = build_service_scheduler(deps, client=None)
    assert {job.id for job in without_slack.get_jobs()} == {"poll"}


def test_a_failing_job_is_counted_and_does_not_raise() -> None:
    state = ServiceState()

    def boom() -> None:
        raise RuntimeError("xoxb-should-not-matter")

    _guarded("poll", boom, state)()
    assert state.errors == 1
    assert state.last_error == "poll: RuntimeError"


def test_shutdown_waits_for_listener_work_that_runs_after_the_ack() -> None:
    done: list[str] = []
    started = threading.Event()
    with FakeSlack() as fake:
        app = App(
            client=WebClient(token=fake.token, base_url=fake.url),
            signing_secret="secret",
            process_before_response=False,
        )

        @app.command("/policy")
        def on_policy(ack: object, command: dict[str, str]) -> None:
            ack()  # type: ignore[operator]
            started.set()
            time.sleep(0.3)  # the slow part, answered later through response_url
            done.append(command["text"])

        body = urlencode({"command": "/policy", "text": "ask x", "team_id": "T1", "user_id": "U1"})
        timestamp = str(int(time.time()))
        signature = SignatureVerifier("secret").generate_signature(timestamp=timestamp, body=body)
        response = app.dispatch(
            BoltRequest(
                body=body,
                headers={
                    "content-type": ["application/x-www-form-urlencoded"],
                    "x-slack-signature": [signature],
                    "x-slack-request-timestamp": [timestamp],
                },
            )
        )
        assert response.status == 200
        assert started.wait(5)
        _drain_listeners(app)
    assert done == ["ask x"]


def test_an_empty_sources_file_is_one_warning_not_a_traceback_per_poll(
    deps: Deps, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("# nothing yet\n", "utf-8")
    deps = Deps(
        settings=deps.settings.model_copy(update={"sources_path": sources}),
        sessions=deps.sessions,
        engine=deps.engine,
    )
    state = ServiceState()
    caplog.set_level(logging.INFO, logger="policybot.service")
    poll = _guarded(
        "poll", lambda: run_poll_round(deps, holder="me", client=None, state=state), state
    )
    poll()
    poll()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(" (")[0] for r in warnings] == ["no sources configured"]
    assert not any(r.exc_info or r.exc_text for r in caplog.records)
    assert state.errors == 0 and state.polls == 0


def test_an_invalid_sources_file_is_one_error_line_until_it_changes(
    deps: Deps, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("[[sources]]\nname = 1\n", "utf-8")
    deps = Deps(
        settings=deps.settings.model_copy(update={"sources_path": sources}),
        sessions=deps.sessions,
        engine=deps.engine,
    )
    state = ServiceState()
    caplog.set_level(logging.INFO, logger="policybot.service")
    assert run_poll_round(deps, holder="me", client=None, state=state) is False
    assert run_poll_round(deps, holder="me", client=None, state=state) is False
    sources.write_text("", "utf-8")
    assert run_poll_round(deps, holder="me", client=None, state=state) is False
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2
    assert lines[0].startswith("the sources file is invalid, nothing polled: ")
    assert str(sources) in lines[0] and "\n" not in lines[0]
    assert lines[1].startswith("no sources configured")


def test_serve_says_serving_only_of_a_port_it_holds(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    """A port taken by someone else (even after any check before start) is one error line and
    exit 2; nothing claims to be serving and no job starts."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    caplog.set_level(logging.INFO)
    try:
        with pytest.raises(SystemExit) as stopped:
            serve_until_stopped(
                deps, bolt_app=None, web_app=None, host="127.0.0.1", port=port, client=None
            )
    finally:
        taken.close()
    assert stopped.value.code == 2
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith(f"cannot listen on 127.0.0.1:{port}") for m in messages)
    assert not any("serving" in m for m in messages)


def test_the_listener_is_bound_before_it_is_announced() -> None:
    listener = bind_listener("127.0.0.1", 0)
    try:
        port = listener.getsockname()[1]
        with pytest.raises(OSError):
            bind_listener("127.0.0.1", port)  # already ours: nobody else gets it
    finally:
        listener.close()
