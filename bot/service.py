"""What `policybot serve` runs around the Slack listener: the schedule, and a clean stop.

The schedule (APScheduler 3, in-memory job store; the exactly-once guarantees live in the
store, not in the scheduler):
- `poll`: every minute, the sources that are due (each source has its own interval and
  back-off; `poll_sources` claims each one, so two replicas never fetch one source at once),
  then instant alerts for what the poll found.
- `alerts`: every few minutes, daily digests that are due, and any instant alert a crashed or
  busy run left behind (deliveries are claimed rows: never sent twice).
- `alert-recovery`: every minute, on every replica, alert and digest claims whose holder died
  (lease lapsed) are settled: found in the conversation's history, or sent once.
- briefings: one cron job per channel from `bot.schedule` when it is available (claimed per
  channel and day in the store: posted once even with several replicas), and every minute a
  look for a briefing whose poster died mid-thread, finished by whichever replica is alive.

Each job first takes a named lease (`store.leases`), so with several replicas one of them
does each round and the others skip it instead of contending. Shutdown (SIGTERM or SIGINT):
stop taking requests, let the job or message in flight finish, stop the scheduler, close the
database.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.deps import Deps
from store.leases import default_holder, leased

if TYPE_CHECKING:
    from bot.alerts.delivery import AlertReport, AlertTransport
    from bot.slack.socket_mode import SocketModeConnection

log = logging.getLogger("policybot.service")

POLL_EVERY = timedelta(seconds=60)
ALERTS_EVERY = timedelta(minutes=5)
# Longer than any round can take: a replica that dies mid-round frees the job after this.
JOB_LEASE = timedelta(minutes=15)
FIRST_RUN_DELAY = timedelta(seconds=2)
# A claim cut by a crash lapses within `bot.alerts.claims.CLAIM_LEASE` (45 s) and the next
# recovery round settles it: with the defaults, within 45 s + 60 s of the crash (README).
ALERT_RECOVERY_EVERY = timedelta(seconds=60)
# Only saves work (each batch's compare-and-set decides who settles it); short, so a replica
# killed mid-round does not hold the job past the next round.
ALERT_RECOVERY_JOB_LEASE = timedelta(seconds=30)


@dataclass
class ServiceState:
    """What the jobs have done, for logs, `/healthz` and tests."""

    polls: int = 0
    skipped: int = 0
    alert_rounds: int = 0
    errors: int = 0
    last_error: str | None = None
    sources_problem: str | None = None  # the sources file's problem, logged once until it changes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def run_poll_round(
    deps: Deps, *, holder: str, client: WebClient | None, state: ServiceState | None = None
) -> bool:
    """Poll the due sources once and alert on what was found; False when another replica is."""
    from bot.sources.poll import poll_sources
    from bot.sources.sources_file import SourcesFileError

    with leased(
        deps.sessions, name="job:poll", holder=holder, ttl=JOB_LEASE, clock=deps.clock
    ) as got:
        if not got:
            if state:
                state.bump("skipped")
            return False
        try:
            report = poll_sources(deps, owner=holder)
        except SourcesFileError as exc:
            _warn_sources_problem(exc, state)
            return False
        if state:
            state.sources_problem = None
        failed = [row.source for row in report.rows if row.status == "error"]
        log.info(
            "poll: %d source(s), %d new, %d updated%s",
            len(report.rows),
            report.new,
            report.updated,
            f", failed: {', '.join(failed)}" if failed else "",
        )
        if client is not None and report.development_ids:
            from bot.alerts.delivery import deliver_alerts

            alerts = deliver_alerts(
                deps, client=client, now=deps.clock(), development_ids=report.development_ids
            )
            if alerts.messages:
                log.info("alerts: %d message(s) sent", alerts.messages)
        if state:
            state.bump("polls")
        return True


def _warn_sources_problem(exc: Exception, state: ServiceState | None) -> None:
    """One line, once per distinct problem: an operator's file, not a bug (no traceback)."""
    problem = str(exc).replace("\n", "; ")
    if state is not None:
        if state.sources_problem == problem:
            return
        state.sources_problem = problem
    if "no [[sources]] entries" in problem:
        log.warning("no sources configured (%s); nothing to poll", problem)
    else:
        log.error("the sources file is invalid, nothing polled: %s", problem)


def run_alert_round(
    deps: Deps, *, holder: str, client: WebClient, state: ServiceState | None = None
) -> bool:
    """Due daily digests, and instant alerts left over by an interrupted run."""
    from bot.alerts.delivery import deliver_alerts, deliver_due_digests

    with leased(
        deps.sessions, name="job:alerts", holder=holder, ttl=JOB_LEASE, clock=deps.clock
    ) as got:
        if not got:
            if state:
                state.bump("skipped")
            return False
        now = deps.clock()
        report = deliver_alerts(deps, client=client, now=now)
        report.add(deliver_due_digests(deps, client=client, now=now))
        if report.messages:
            log.info("alerts and digests: %d message(s) sent", report.messages)
        if state:
            state.bump("alert_rounds")
        return True


def run_alert_recovery_round(
    deps: Deps,
    *,
    holder: str,
    client: WebClient,
    state: ServiceState | None = None,
    transport: AlertTransport | None = None,
) -> AlertReport | None:
    """Settle the alert and digest claims cut by a crash; None when another replica is."""
    from bot.alerts.delivery import SlackAlertTransport, recover_stale_claims

    with leased(
        deps.sessions,
        name="job:alert-recovery",
        holder=holder,
        ttl=ALERT_RECOVERY_JOB_LEASE,
        clock=deps.clock,
    ) as got:
        if not got:
            if state:
                state.bump("skipped")
            return None
        sender = transport if transport is not None else SlackAlertTransport(client)
        report = recover_stale_claims(deps, transport=sender, now=deps.clock())
        if report.recovered or report.resent:
            log.info(
                "alerts: %d cut claim(s) found sent, %d sent now", report.recovered, report.resent
            )
        return report


def _guarded(name: str, job: Callable[[], Any], state: ServiceState) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception as exc:  # one failed round must not stop the schedule
            state.bump("errors")
            state.last_error = f"{name}: {type(exc).__name__}"
            log.exception("scheduled job %s failed", name)

    return run


def build_service_scheduler(
    deps: Deps,
    *,
    client: WebClient | None,
    holder: str | None = None,
    state: ServiceState | None = None,
    poll_every: timedelta = POLL_EVERY,
    alerts_every: timedelta = ALERTS_EVERY,
) -> tuple[BackgroundScheduler, ServiceState]:
    """The scheduler `serve` runs (not started). Without a Slack client it only polls."""
    holder = holder or default_holder()
    state = state or ServiceState()
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    first = deps.clock() + FIRST_RUN_DELAY
    scheduler.add_job(
        _guarded(
            "poll", lambda: run_poll_round(deps, holder=holder, client=client, state=state), state
        ),
        "interval",
        seconds=poll_every.total_seconds(),
        next_run_time=first,
        id="poll",
        name="poll due sources, then instant alerts",
    )
    if client is not None:
        scheduler.add_job(
            _guarded(
                "alerts",
                lambda: run_alert_round(deps, holder=holder, client=client, state=state),
                state,
            ),
            "interval",
            seconds=alerts_every.total_seconds(),
            next_run_time=first + timedelta(seconds=30),
            id="alerts",
            name="daily digests and left-over alerts",
        )
        scheduler.add_job(
            _guarded(
                "alert-recovery",
                lambda: run_alert_recovery_round(deps, holder=holder, client=client, state=state),
                state,
            ),
            "interval",
            seconds=ALERT_RECOVERY_EVERY.total_seconds(),
            next_run_time=first + timedelta(seconds=15),
            id="alert-recovery",
            name="settle alert claims cut by a crash",
        )
        _add_briefing_jobs(scheduler, deps, client=client)
    return scheduler, state


def _add_briefing_jobs(scheduler: BackgroundScheduler, deps: Deps, *, client: WebClient) -> None:
    """One cron job per briefing channel, and a start-up catch-up run (`bot.schedule`)."""
    from bot.schedule import add_briefing_jobs

    add_briefing_jobs(scheduler, deps, client=client)
    if deps.settings.briefing_channels:
        log.info(
            "briefings: %d channel(s) at %s %s",
            len(deps.settings.briefing_channels),
            deps.settings.briefing_time,
            deps.settings.timezone,
        )


@dataclass
class StopSignal:
    """Set by SIGTERM/SIGINT; the serve loop waits on it."""

    event: threading.Event = field(default_factory=threading.Event)
    received: list[int] = field(default_factory=list)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        del frame
        self.received.append(signum)
        self.event.set()


@contextmanager
def stop_on_signals(stop: StopSignal) -> Iterator[StopSignal]:
    """Route SIGTERM and SIGINT to `stop` for the duration (main thread only)."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, stop)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def shutdown(scheduler: BackgroundScheduler | None, deps: Deps) -> None:
    """Let the running job finish, stop the scheduler, close the database."""
    if scheduler is not None and scheduler.running:
        log.info("stopping the scheduler (waiting for the running job)")
        scheduler.shutdown(wait=True)
    if deps.engine is not None:
        deps.engine.dispose()
    log.info("stopped")


# -- running -------------------------------------------------------------------------------------
def bind_listener(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says the bot is serving (OSError if not)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog; listening holds the port against others
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _serve_http(web_app: Any, *, listener: socket.socket) -> None:
    """uvicorn until SIGTERM/SIGINT; it stops accepting and finishes the requests in flight."""
    import uvicorn

    host, port = listener.getsockname()[:2]

    config = uvicorn.Config(
        web_app,
        host=host,
        port=port,
        log_config=None,  # our handlers (text or JSON, redacted)
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=30,
    )
    uvicorn.Server(config).run(sockets=[listener])


def serve_until_stopped(
    deps: Deps,
    *,
    bolt_app: Any,
    web_app: Any,
    host: str,
    port: int,
    client: WebClient | None,
    socket_mode: SocketModeConnection | None = None,
) -> None:
    """Run the bot until SIGTERM or SIGINT, then stop cleanly.

    HTTP mode serves `web_app` (Slack requests and `/healthz`); Socket Mode (`socket_mode`)
    connects to Slack over a WebSocket and serves `web_app` for `/healthz` only. The schedule
    runs in a background thread either way.
    """
    try:
        # Bound first: "serving" is said only of a port this process holds.
        listener = bind_listener(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%d (%s)", host, port, exc.strerror or exc)
        raise SystemExit(2) from None
    scheduler, _state = build_service_scheduler(deps, client=client)
    stop = StopSignal()
    # Our handler stays installed around uvicorn's own: uvicorn re-raises the signal it
    # caught once it has drained, and it lands here instead of killing the process.
    with stop_on_signals(stop):
        try:
            scheduler.start()
            if socket_mode is not None:
                # Raises SocketModeError when Slack refuses the token; "connected" is logged
                # by the connection itself, once Slack said hello.
                socket_mode.start()
                log.info("Socket Mode: /healthz on %s:%d", host, port)
            else:
                log.info("serving Slack requests on http://%s:%d/slack/events", host, port)
            if not stop.event.is_set():  # a signal during start-up: do not serve at all
                _serve_http(web_app, listener=listener)
        finally:
            listener.close()
            if socket_mode is not None:
                socket_mode.close()
            _drain_listeners(bolt_app)
            if deps.background is not None:
                deps.background.shutdown(wait=True)  # answers already acknowledged
            shutdown(scheduler, deps)


def _drain_listeners(bolt_app: Any) -> None:
    """Wait for Bolt's listeners still running after their ack (answers via response_url)."""
    runner = getattr(bolt_app, "listener_runner", None)
    executor = getattr(runner, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
