"""Resident memory of `policybot serve`: idle, and under 20 concurrent signed /policy commands,
with a 100,000-development store. Target: at most 150 MB.

Usage: python bench/memory.py [--developments 100000] [--concurrency 20] [--rounds 3]
                              [--database-url URL] [--keep DIR]

1. Builds a store of N developments (one item each, FTS index kept by the migration's
   triggers) with bulk inserts into a fresh SQLite file (or the empty database given).
2. Starts the real `policybot serve` as a subprocess on a free loopback port, against a fake
   Slack Web API and the demo snapshot as its sources (so the scheduler really polls), and
   reads its VmRSS/VmHWM from /proc once idle.
3. Sends `rounds` waves of `concurrency` signed `/policy ask|search|latest` requests at once,
   sampling RSS every 20 ms; reports the peak and the command latencies.
4. Naive baseline in a child process: the same developments loaded into a list of dicts and a
   rank_bm25 index (what a simple bot would do), answering the same questions.

Prints a table and, as the last line, one JSON object with the figures. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):  # the checkout, and the tests' fakes (tests/support/)
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from support.fakeslack import FakeSlack  # noqa: E402

from bot.demo.snapshot import serve_snapshot  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402
from store.models import Development, Item, Source  # noqa: E402

TARGET_MB = 150.0
SIGNING_SECRET = "bench-signing-secret-0123456789"
QUESTIONS = [
    "ask what changed in UK AI export rules this week?",
    "ask any new Dutch chip rules?",
    "ask EU AI Act general-purpose models",
    "search entity list semiconductors",
    "latest US export-controls",
    "ask China AI content labelling",
    "ask Japan METI semiconductor export control",
    "search data protection generative AI",
]

_JURIS = ["US", "UK", "EU", "CN", "NL", "JP", "KR", "TW", "IN", "AE", "FR", "DE", "CA", "INTL"]
_TOPICS = ["export-controls", "sovereignty", "regulation", "data-protection"]
_ACTORS = {
    "US": "the Bureau of Industry and Security",
    "UK": "the Export Control Joint Unit",
    "EU": "the European Commission",
    "CN": "the Ministry of Commerce in Beijing",
    "NL": "the Dutch government",
    "JP": "METI",
    "KR": "the Ministry of Science and ICT",
    "TW": "the Ministry of Economic Affairs",
    "IN": "MeitY",
    "AE": "the UAE AI ministry",
    "FR": "the French government",
    "DE": "the German government",
    "CA": "Innovation, Science and Economic Development Canada",
    "INTL": "the OECD",
}
_THINGS = [
    "advanced AI chips",
    "semiconductor manufacturing equipment",
    "AI model weights",
    "cloud computing services",
    "high-bandwidth memory",
    "data centre security",
    "sovereign AI compute",
    "personal data used for AI training",
    "general-purpose AI models",
    "lithography tools",
]
_VERBS = [
    "tightens export controls on",
    "publishes guidance on",
    "opens a consultation on",
    "adopts a final rule on",
    "proposes new rules for",
    "announces funding for",
    "adds entities linked to",
    "issues a statement on",
]


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, amount, _unit = line.split()
            values[key] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def _dev_row(i: int, rng: random.Random, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    code = rng.choice(_JURIS)
    topic = rng.choice(_TOPICS)
    thing = rng.choice(_THINGS)
    title = f"{_ACTORS[code]} {rng.choice(_VERBS)} {thing} ({i})"
    title = title[0].upper() + title[1:]
    summary = (
        f"{title}. The measure concerns {thing} and {rng.choice(_THINGS)}. "
        f"It follows earlier action on {rng.choice(_THINGS)} and takes effect in "
        f"{rng.randint(1, 12)} months."
    )
    published = now - timedelta(minutes=rng.randint(0, 60 * 24 * 720))
    dev = {
        "id": i,
        "title": title,
        "summary": summary,
        "jurisdictions": [code],
        "topics": [topic],
        "importance": rng.choice(["high", "medium", "low", "low"]),
        "confidence": 0.8,
        "evidence": {},
        "published_at": published,
        "first_seen_at": published,
        "updated_at": published,
        "revision": 1,
        "announce": "never",
        "relevant": True,
        "search_text": f"{title}\n{summary}",
    }
    item = {
        "id": i,
        "source_id": 1 + i % 7,
        "development_id": i,
        "guid": f"bench-{i}",
        "url": f"https://bench.example/{i}",
        "title": title,
        "text": summary,
        "published_at": published,
        "first_seen_at": published,
        "updated_at": published,
        "content_hash": hashlib.sha256(title.encode()).hexdigest(),
        "version": 1,
        "jurisdictions": [code],
        "topics": [topic],
        "confidence": 0.8,
        "evidence": {},
        "backfill": True,
    }
    return dev, item


def build_store(url: str, n: int, now: datetime) -> dict[str, Any]:
    """Fill an empty database with `n` developments (and one item each); returns figures."""
    started = time.perf_counter()
    engine = make_engine(url)
    migrate(engine)
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            insert(Source.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": k,
                    "name": f"bench-source-{k}",
                    "kind": "feed",
                    "url": f"https://bench.example/feed/{k}.xml",
                    "jurisdictions": [],
                    "topics": [],
                    "primary": k % 2 == 0,
                    "interval_minutes": 60,
                    "comment": "",
                    "origin": "slack",  # not in the sources file: left alone by sync
                    "enabled": False,  # never fetched: the bench must not touch the internet
                    "created_at": now,
                    "consecutive_failures": 0,
                }
                for k in range(1, 8)
            ],
        )
    batch = 5000
    for start in range(1, n + 1, batch):
        rows = [_dev_row(i, rng, now) for i in range(start, min(n, start + batch - 1) + 1)]
        with engine.begin() as conn:
            conn.execute(insert(Development.__table__), [d for d, _ in rows])  # type: ignore[attr-defined]
            conn.execute(insert(Item.__table__), [it for _, it in rows])  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("developments", "items", "sources"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    engine.dispose()
    return {"build_seconds": round(time.perf_counter() - started, 1)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    base = f"v0:{ts}:{body}".encode()
    sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sig,
    }


def _command_body(text: str, n: int, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0BENCH",
            "team_domain": "bench",
            "channel_id": "C0BENCH",
            "channel_name": "bench",
            "user_id": f"U0BENCH{n % 20:02d}",
            "user_name": "bench",
            "command": "/policy",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"1.{n}.abc",
            "api_app_id": "A0BENCH",
        }
    )


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid)[0])
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.02)

    def stop(self) -> float:
        self._stop_event.set()
        self.join(timeout=2)
        return self.peak


def measure_serve(
    database_url: str, *, concurrency: int, rounds: int, workdir: Path
) -> dict[str, Any]:
    fake = FakeSlack().start()
    port = _free_port()
    with serve_snapshot(clock=lambda: datetime.now(UTC)) as snapshot:
        from bot.demo.snapshot import demo_sources_toml

        sources = workdir / "sources.toml"
        sources.write_text(demo_sources_toml(base=snapshot.base_url, now=snapshot.now))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "POLICYBOT_", "DATABASE_URL"))
        }
        env.update(
            {
                "DATABASE_URL": database_url,
                "SLACK_BOT_TOKEN": fake.token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.url,
                "POLICYBOT_SOURCES": str(sources),
                "POLICYBOT_ALLOW_PRIVATE_SOURCES": "true",
                "POLICYBOT_BRIEFING_CHANNELS": "C0BENCH",
            }
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / "serve.log", "w"),  # noqa: SIM115
        )
        base = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            with httpx.Client(timeout=10) as client:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(
                            "serve exited: " + (workdir / "serve.log").read_text()[-2000:]
                        )
                    try:
                        if client.get(base + "/healthz").status_code in (200, 503):
                            break
                    except httpx.TransportError:
                        pass
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("serve did not answer /healthz within 60 s")
                    time.sleep(0.1)
            startup_s = time.perf_counter() - started
            time.sleep(3.0)  # let the first scheduled poll of the snapshot run
            idle_rss, _ = rss_mb(proc.pid)

            sampler = Sampler(proc.pid)
            sampler.start()
            latencies: list[float] = []
            statuses: list[int] = []

            def one(n: int) -> None:
                body = _command_body(QUESTIONS[n % len(QUESTIONS)], n, fake.response_url(str(n)))
                t0 = time.perf_counter()
                r = httpx.post(base + "/slack/events", content=body, headers=_signed(body))
                latencies.append(time.perf_counter() - t0)
                statuses.append(r.status_code)

            started_load = time.perf_counter()
            for wave in range(rounds):
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    list(pool.map(one, range(wave * concurrency, (wave + 1) * concurrency)))
            # Answers follow the acks through response_url; wait for all of them (bounded).
            answers_deadline = time.perf_counter() + 120
            while len(fake.responses) < rounds * concurrency:
                if time.perf_counter() > answers_deadline:
                    break
                time.sleep(0.05)
            answers_s = time.perf_counter() - started_load
            peak_rss = sampler.stop()
            _, hwm = rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                exit_code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                exit_code = -9
            fake.stop()
    latencies.sort()
    return {
        "startup_seconds": round(startup_s, 2),
        "idle_rss_mb": round(idle_rss, 1),
        "load_peak_rss_mb": round(max(peak_rss, idle_rss), 1),
        "high_water_mb": round(hwm, 1),
        "requests": len(statuses),
        "ok_requests": sum(1 for s in statuses if s == 200),
        "ack_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "ack_max_ms": round(1000 * latencies[-1], 1),
        "responses_sent": len(fake.responses),
        "all_answers_seconds": round(answers_s, 2),
        "exit_code_on_sigterm": exit_code,
    }


_NAIVE = r"""
import json, re, sys, time
from pathlib import Path
from sqlalchemy import create_engine, text
from rank_bm25 import BM25Okapi
url, questions = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter()
engine = create_engine(url)
with engine.connect() as conn:
    rows = [dict(r._mapping) for r in conn.execute(text(
        "SELECT d.id, d.title, d.summary, d.jurisdictions, d.topics, d.published_at, "
        "d.search_text, i.url FROM developments d JOIN items i ON i.development_id = d.id"))]
tok = lambda s: re.findall(r"\w+", s.lower())
index = BM25Okapi([tok(r["search_text"]) for r in rows])
load = time.perf_counter() - t0
t1 = time.perf_counter()
for q in questions:
    scores = index.get_scores(tok(q))
    best = sorted(range(len(rows)), key=scores.__getitem__, reverse=True)[:3]
per_q = (time.perf_counter() - t1) / len(questions)
status = {l.split(":")[0]: int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(("VmRSS:", "VmHWM:"))}
print(json.dumps({"rss_mb": status["VmRSS"], "hwm_mb": status["VmHWM"], "load_s": load, "query_ms": 1000 * per_q}))
"""


def measure_naive(database_url: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _NAIVE, database_url, json.dumps(QUESTIONS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "naive_rss_mb": round(data["rss_mb"], 1),
        "naive_high_water_mb": round(data["hwm_mb"], 1),
        "naive_load_seconds": round(data["load_s"], 1),
        "naive_query_ms": round(data["query_ms"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--developments", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", default="", help="build the store in this folder and keep it")
    args = parser.parse_args()

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="policybot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    now = datetime.now(UTC)
    print(f"building a store of {args.developments:,} developments in {url} ...", flush=True)
    figures: dict[str, Any] = {"developments": args.developments, "backend": url.split(":")[0]}
    figures.update(build_store(url, args.developments, now))
    print(f"  built in {figures['build_seconds']} s; starting serve ...", flush=True)
    figures.update(
        measure_serve(url, concurrency=args.concurrency, rounds=args.rounds, workdir=workdir)
    )
    print("  measuring the naive baseline ...", flush=True)
    figures.update(measure_naive(url))
    figures["concurrency"] = args.concurrency
    figures["target_mb"] = TARGET_MB
    figures["within_target"] = figures["load_peak_rss_mb"] <= TARGET_MB

    rows = [
        ("store", f"{args.developments:,} developments ({figures['backend']})", ""),
        ("serve startup", f"{figures['startup_seconds']} s", ""),
        ("serve idle RSS", f"{figures['idle_rss_mb']} MB", f"target <= {TARGET_MB:g} MB"),
        (
            f"serve peak RSS, {args.rounds} x {args.concurrency} concurrent commands",
            f"{figures['load_peak_rss_mb']} MB",
            "within target" if figures["within_target"] else "OVER TARGET",
        ),
        (
            "command acks",
            f"{figures['ok_requests']}/{figures['requests']} HTTP 200",
            f"p50 {figures['ack_p50_ms']} ms, max {figures['ack_max_ms']} ms",
        ),
        (
            "answers sent via response_url",
            str(figures["responses_sent"]),
            f"all within {figures['all_answers_seconds']} s of the first command",
        ),
        ("exit code on SIGTERM", str(figures["exit_code_on_sigterm"]), ""),
        (
            "naive baseline (list of dicts + rank_bm25)",
            f"{figures['naive_rss_mb']} MB",
            f"load {figures['naive_load_seconds']} s, {figures['naive_query_ms']} ms/query",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure'.ljust(width)}  {'value':<28} note")
    print(f"{'-' * width}  {'-' * 28} {'-' * 30}")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:<28} {note}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
