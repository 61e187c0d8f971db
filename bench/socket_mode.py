"""Compare the Socket Mode clients slack_sdk/slack_bolt offer on what real networks do.

Each client runs a Bolt app that acks `/policy` against the loopback fake Socket Mode Slack
(tests/support/fakesocketmode.py), in a child process of its own so CPU is its own:
- `fin`: the server closes TCP with no WebSocket close frame (a NAT or proxy dropping an
  idle connection): seconds until the client is on a new connection, CPU seconds meanwhile;
- `reset`: the same after a TCP RST;
- `silent`: the socket stays open and the peer stops answering (pings included);
- `refresh`: Slack's `disconnect` (refresh_requested) ten times in a row; a command is sent
  the moment each new connection opens and one on the old connection just before the
  disconnect: the worst ack latency of the former, envelopes lost, envelopes acked twice.
  The server leaves the old connection open (Slack closes it only some seconds later).

The baseline is the client `serve` used before (built-in, Bolt's defaults).

    .venv/bin/python bench/socket_mode.py [--variants builtin,websockets] [--cases fin,refresh]

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

VARIANTS = {
    "builtin": "built-in, Bolt defaults (ping 10 s): the baseline",
    "builtin-ping2": "built-in, ping_interval=2",
    "websocket-client": "websocket-client, ping 5 s",
    "aiohttp": "aiohttp, ping 5 s",
    "websockets": "websockets, ping 5 s",
    "policybot": "what serve runs now (bot.slack.socket_mode)",
}
CASES = ("fin", "reset", "silent", "refresh")
LIMIT = {"fin": 75.0, "reset": 75.0, "silent": 90.0}
REFRESHES = 10


# -- the child: one client, one case -----------------------------------------------------------
class Runner:
    """Starts one kind of client on a small Bolt app; `stop()` ends it."""

    def __init__(self, variant: str, api_url: str, bot_token: str, app_token: str) -> None:
        from slack_bolt import App
        from slack_sdk import WebClient

        self.variant = variant
        self.app = App(
            client=WebClient(token=bot_token, base_url=api_url),
            token_verification_enabled=False,
            request_verification_enabled=False,
        )
        self.app.command("/policy")(lambda ack: ack("ok"))
        self.api_url, self.app_token = api_url, app_token
        self.loop: asyncio.AbstractEventLoop | None = None
        self.handler: Any = None

    def start(self) -> None:
        v = self.variant
        if v.startswith("builtin"):
            from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

            ping = 2.0 if v == "builtin-ping2" else 10.0
            self.handler = SocketModeHandler(self.app, self.app_token, ping_interval=ping)
            self.handler.connect()
        elif v == "websocket-client":
            from slack_bolt.adapter.socket_mode.websocket_client import (
                SocketModeHandler as WsClientHandler,
            )

            self.handler = WsClientHandler(self.app, self.app_token, ping_interval=5)
            self.handler.connect()
        elif v == "policybot":
            from bot.slack.socket_mode import SocketModeConnection

            self.handler = SocketModeConnection(self.app, self.app_token, api_url=self.api_url)
            self.handler.start()
        else:
            self._start_async(v)

    def _start_async(self, v: str) -> None:
        from slack_sdk.web.async_client import AsyncWebClient

        loop = asyncio.new_event_loop()
        self.loop = loop
        threading.Thread(target=loop.run_forever, daemon=True).start()

        async def make() -> Any:
            web = AsyncWebClient(base_url=self.api_url)
            if v == "aiohttp":
                from slack_bolt.adapter.socket_mode.aiohttp import SocketModeHandler as Aio

                handler: Any = Aio(self.app, self.app_token, web_client=web, ping_interval=5)
            else:
                from slack_bolt.adapter.socket_mode.websockets import SocketModeHandler as Ws

                handler = Ws(self.app, self.app_token, web_client=web, ping_interval=5)
            await handler.connect_async()
            return handler

        self.handler = asyncio.run_coroutine_threadsafe(make(), loop).result(30)

    def stop(self) -> None:
        try:
            if self.loop is not None:
                asyncio.run_coroutine_threadsafe(self.handler.close_async(), self.loop).result(15)
            else:
                self.handler.close()
        except Exception as exc:  # a client that cannot close cleanly is a finding, not a crash
            print(f"close failed: {type(exc).__name__}", file=sys.stderr)


def run_case(variant: str, case: str) -> dict[str, Any]:
    from support.fakeslack import FakeSlack
    from support.fakesocketmode import FakeSocketMode

    logging.basicConfig(level=logging.CRITICAL)
    with FakeSlack() as web, FakeSocketMode() as sm:
        web.socket_mode = sm
        runner = Runner(variant, web.url, web.token, sm.app_token)
        runner.start()
        try:
            first = sm.wait_connection(1)
            sm.wait_ack(sm.send_command("/policy", "help", first), timeout=10)
            if case == "refresh":
                return refresh_case(sm)
            return drop_case(sm, first, case)
        finally:
            # A client that cannot close (it may hang on a dead socket) must not hang the run.
            stopper = threading.Thread(target=runner.stop, daemon=True)
            stopper.start()
            stopper.join(timeout=15)


def drop_case(sm: Any, first: Any, case: str) -> dict[str, Any]:
    cpu0, t0 = time.process_time(), time.monotonic()
    sm.drop(first, case)
    try:
        second = sm.wait_connection(2, timeout=LIMIT[case])
    except AssertionError:
        return {"reconnect_s": None, "cpu_s": round(time.process_time() - cpu0, 2)}
    reconnect = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    eid = sm.send_command("/policy", "help", second)
    sm.wait_ack(eid, timeout=10)
    return {"reconnect_s": round(reconnect, 2), "cpu_s": round(cpu, 2)}


def refresh_case(sm: Any) -> dict[str, Any]:
    sent: list[str] = []
    opened_at: dict[str, float] = {}

    def command_on_open(conn: Any) -> None:
        eid = sm.send_command("/policy", "help", conn)
        sent.append(eid)
        opened_at[eid] = conn.opened_at

    sm.on_open.append(command_on_open)
    for i in range(REFRESHES):
        old = sm.newest()
        sent.append(sm.send_command("/policy", "help", old))
        sm.refresh(old)
        try:
            sm.wait_connection(i + 2, timeout=30)
        except AssertionError:
            break
        # Slack closes the old connection itself only some seconds later; the client should
        # not need that. Wait (bounded) for the command sent on the new one, then go on.
        deadline = time.monotonic() + 5
        while len(opened_at) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with contextlib.suppress(AssertionError):
            sm.wait_ack(list(opened_at)[-1], timeout=5)
    time.sleep(3.5)  # anything still to be acked has had Slack's 3 seconds
    latencies = [sm.acks_for(eid)[0].at - opened_at[eid] for eid in opened_at if sm.acks_for(eid)]
    lost = sum(1 for eid in sent if not sm.acks_for(eid))
    twice = sum(1 for eid in sent if len(sm.acks_for(eid)) > 1)
    return {
        "refreshes": len(sm.connections) - 1,
        "worst_ack_ms": round(max(latencies) * 1000) if latencies else None,
        "lost": lost,
        "acked_twice": twice,
        "late": sum(1 for x in latencies if x > 2.5)
        + sum(1 for e in opened_at if not sm.acks_for(e)),
    }


# -- the parent: every variant x case, each in a child process --------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(*args.child)), flush=True)
        os._exit(0)  # leftover client threads must not keep the child alive
    variants = [v for v in args.variants.split(",") if v]
    cases = [c for c in args.cases.split(",") if c]
    results: dict[str, dict[str, Any]] = {}
    for variant in variants:
        results[variant] = {}
        for case in cases:
            try:
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", variant, case],
                    capture_output=True,
                    text=True,
                    timeout=240,
                )
            except subprocess.TimeoutExpired:
                results[variant][case] = {"error": "hung"}
                continue
            lines = proc.stdout.strip().splitlines()
            try:
                results[variant][case] = json.loads(lines[-1])
            except (IndexError, ValueError):
                results[variant][case] = {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
            print(f"  {variant:17} {case:8} {results[variant][case]}", file=sys.stderr)
    print_table(results, cases)
    print(json.dumps({"bench": "socket_mode", "baseline": "builtin", "results": results}))


def print_table(results: dict[str, dict[str, Any]], cases: list[str]) -> None:
    head = f"{'client':17}"
    for case in cases:
        head += f" | {case + ' s/cpu' if case != 'refresh' else 'refresh worst ms/lost/twice':>27}"
    print(head)
    print("-" * len(head))
    for variant, row in results.items():
        line = f"{variant:17}"
        for case in cases:
            r = row.get(case, {})
            if "error" in r:
                cell = "error: " + str(r["error"])[:20]
            elif case == "refresh":
                cell = f"{r.get('worst_ack_ms')} / {r.get('lost')} / {r.get('acked_twice')}"
            else:
                got = r.get("reconnect_s")
                cell = f"{'no reconnect' if got is None else got} / {r.get('cpu_s')}"
            line += f" | {cell:>27}"
        print(line)
    for variant in results:
        print(f"  {variant}: {VARIANTS.get(variant, '')}")


if __name__ == "__main__":
    main()
