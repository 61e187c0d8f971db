"""Answer latency at 10k and 100k developments, against a rank_bm25 baseline; /policy ack latency.

Usage: python bench/ask.py [--sizes 10000,100000] [--queries 300] [--acks 300]

For each store size it builds a fresh SQLite store (migrated, FTS5 index kept by the triggers)
of synthetic developments published over the four years up to the as-of date (ids grow with
publication, as a store fills), then times, on the same questions:
- `answer_question` (the real engine: parse, FTS5 candidates, coverage, ranking, citations),
- the raw FTS5 query alone (`store.search.search_developments`: the question's content words,
  its time words left out, every one required, best 40 by bm25),
- a naive baseline: rank_bm25's BM25Okapi built once over the same texts, then per question
  `get_top_n(question words, texts, 3)` (scores every document, numpy's argsort for the top 3:
  what a bot without an index would do).
The questions mix names ("what is Project Heron-12?"), a jurisdiction and an object ("any new
Dutch rules on GPUs?"), and time windows that hold developments ("this month", "last month",
"this week", "last year"; a browse with no content words). The table has the p95 of each kind.
Then it serves the real app (Bolt + Starlette under uvicorn on 127.0.0.1) and sends signed
`/policy help` requests 20 at a time, timing each acknowledgement.

Prints a table; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from rank_bm25 import BM25Okapi
from slack_sdk import WebClient
from sqlmodel import SQLModel

from bot.answers.engine import answer_question
from bot.answers.query import STOPWORDS
from bot.config import Settings
from bot.deps import Deps
from bot.slack.app import build_app
from bot.slack.web import create_web_app
from handlers import register_all
from store.db import make_engine, migrate, session_factory
from store.models import Development
from store.search import search_developments

JURIS = {
    "US": ("Washington", "BIS", "the Commerce Department"),
    "UK": ("London", "DSIT", "the UK government"),
    "EU": ("Brussels", "the European Commission", "the Council"),
    "CN": ("Beijing", "MOFCOM", "the CAC"),
    "NL": ("The Hague", "the Dutch government", "the Dutch trade ministry"),
    "JP": ("Tokyo", "METI", "the Japanese government"),
    "KR": ("Seoul", "MOTIE", "the Korean government"),
    "IN": ("New Delhi", "MeitY", "the Indian government"),
    "FR": ("Paris", "the French government", "the Elysee"),
    "DE": ("Berlin", "the German government", "BAFA"),
}
TOPICS = {
    "export-controls": ("export controls", "licence requirements", "entity list additions"),
    "sovereignty": ("sovereign compute", "national AI capacity", "domestic data centres"),
    "regulation": ("AI safety rules", "an AI act", "model evaluation duties"),
    "data-protection": ("data protection law", "cross-border data rules", "privacy guidance"),
}
OBJECTS = (
    "advanced chips",
    "semiconductor tools",
    "lithography machines",
    "AI model weights",
    "gallium and germanium",
    "rare earth magnets",
    "cloud compute",
    "high-bandwidth memory",
    "supercomputers",
    "foundry services",
    "GPUs",
    "quantum computers",
)
BIRDS = ("Kestrel", "Skylark", "Heron", "Osprey", "Falcon", "Swift", "Wren", "Plover", "Ibis")
FILLER = (
    "officials said the measure follows consultation with industry and allies",
    "analysts expect further guidance in the coming months",
    "the text sets out definitions, thresholds and reporting duties",
    "companies have a transition period before enforcement begins",
    "critics warned about the effect on research collaboration",
    "the agency published frequently asked questions alongside the notice",
)


# The questions are asked as of this moment; the developments were published in the four
# years before it, so "this month" and "last month" hold some (about 0.7% and 2% of them).
AS_OF = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
SPAN_MINUTES = 60 * 24 * 365 * 4


def synthetic(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    published_at = sorted(
        AS_OF - timedelta(minutes=rng.randrange(1, SPAN_MINUTES)) for _ in range(n)
    )
    rows = []
    codes = list(JURIS)
    for i in range(n):
        code = rng.choice(codes)
        place, agency, gov = JURIS[code]
        topic = rng.choice(list(TOPICS))
        phrase = rng.choice(TOPICS[topic])
        obj = rng.choice(OBJECTS)
        project = f"Project {rng.choice(BIRDS)}-{i}"
        verb = rng.choice(
            ("tightens", "announces", "relaxes", "extends", "consults on", "finalises")
        )
        title = f"{agency} {verb} {phrase} on {obj} ({project})"
        summary = (
            f"{place}: {gov} {verb} {phrase} covering {obj}. {rng.choice(FILLER).capitalize()}."
        )
        text = f"{title} {summary} {rng.choice(FILLER)}. {rng.choice(FILLER)}."
        published = published_at[i]
        rows.append(
            {
                "title": title,
                "summary": summary,
                "jurisdictions": [code],
                "topics": [topic],
                "importance": rng.choice(("high", "medium", "low")),
                "confidence": 0.8,
                "evidence": {},
                "published_at": published,
                "first_seen_at": published,
                "updated_at": published,
                "revision": 1,
                "announce": "never",
                "relevant": True,
                "search_text": text,
            }
        )
    return rows


DEMONYMS = {
    "US": "American",
    "UK": "British",
    "EU": "European",
    "CN": "Chinese",
    "NL": "Dutch",
    "JP": "Japanese",
    "KR": "Korean",
    "IN": "Indian",
    "FR": "French",
    "DE": "German",
}
# Each kind of question and its share of the workload.
KINDS = (
    ("name", 0.3),  # what is Project Heron-12?
    ("actor", 0.3),  # any new Dutch rules on GPUs?
    ("this month", 0.1),  # what changed on GPUs export controls this month?
    ("last month", 0.1),  # what happened on GPUs export controls last month?
    ("this week", 0.1),  # any Dutch news on GPUs this week?
    ("last year", 0.05),  # what did METI announce on GPUs last year?
    ("browse", 0.05),  # anything new this week?
)


def questions(rows: list[dict[str, Any]], count: int, seed: int = 11) -> list[tuple[str, str]]:
    """`count` (kind, question) pairs about developments of `rows`."""
    rng = random.Random(seed)
    kinds = [k for k, _ in KINDS]
    shares = [w for _, w in KINDS]
    out = []
    for _ in range(count):
        row = rng.choice(rows)
        code = row["jurisdictions"][0]
        kind = rng.choices(kinds, shares)[0]
        project = re.search(r"Project \w+-\d+", row["title"])
        obj = next((o for o in OBJECTS if o in row["title"]), "chips")
        demonym = DEMONYMS[code]
        if kind == "name" and project:
            out.append((kind, f"what is {project.group(0)}?"))
        elif kind == "this month":
            out.append((kind, f"what changed on {obj} export controls this month?"))
        elif kind == "last month":
            out.append((kind, f"what happened on {obj} export controls last month?"))
        elif kind == "this week":
            out.append((kind, f"any {demonym} news on {obj} this week?"))
        elif kind == "last year":
            agency = JURIS[code][1].removeprefix("the ")
            out.append((kind, f"what did {agency} announce on {obj} last year?"))
        elif kind == "browse":
            out.append((kind, "anything new this week?"))
        else:
            out.append(("actor", f"any new {demonym} rules on {obj}?"))
    return out


# Time words: the engine reads them as a window; the raw FTS5 query leaves them out.
TIME_WORDS = frozenset({"this", "last", "week", "month", "year"})


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOPWORDS]


def _content_tokens(question: str) -> list[str]:
    return [t for t in _tokens(question) if t not in TIME_WORDS]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_store(size: int, n_queries: int, tmp: Path) -> dict[str, Any]:
    url = f"sqlite:///{tmp}/bench-{size}.db"
    engine = make_engine(url)
    migrate(engine)
    rows = synthetic(size)
    t0 = time.perf_counter()
    table = SQLModel.metadata.tables[Development.__tablename__]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(table.insert(), rows[i : i + 5000])
    build_s = time.perf_counter() - t0
    sessions = session_factory(engine)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    asked = questions(rows, n_queries)
    qs = [q for _kind, q in asked]
    now = AS_OF

    answer_ms: list[float] = []
    fts_ms: list[float] = []
    # CPU time of the thread too: on a machine shared with other work, waiting for a core
    # inflates the wall-clock figures of short calls most (a p95 is then mostly waits).
    answer_cpu: list[float] = []
    fts_cpu: list[float] = []
    found = 0
    with sessions() as session:
        for q in qs[:20]:  # warm-up
            answer_question(session, question=q, now=now, settings=settings)
        for q in qs:
            t, c = time.perf_counter(), time.thread_time()
            answer = answer_question(session, question=q, now=now, settings=settings)
            answer_ms.append((time.perf_counter() - t) * 1000)
            answer_cpu.append((time.thread_time() - c) * 1000)
            found += answer.found
            t, c = time.perf_counter(), time.thread_time()
            # The index alone: every content word required, best 40 by bm25.
            search_developments(session, terms=_content_tokens(q), match="all", limit=40)
            fts_ms.append((time.perf_counter() - t) * 1000)
            fts_cpu.append((time.thread_time() - c) * 1000)

    # The naive bot: one index built at start, then every question scored against every text.
    t0 = time.perf_counter()
    texts = [f"{r['title']} {r['summary']} {r['search_text']}" for r in rows]
    bm25 = BM25Okapi([_tokens(text) for text in texts])
    bm25_build_s = time.perf_counter() - t0
    base_ms: list[float] = []
    base_cpu: list[float] = []
    for q in qs:
        t, c = time.perf_counter(), time.thread_time()
        bm25.get_top_n(_tokens(q), texts, n=3)
        base_ms.append((time.perf_counter() - t) * 1000)
        base_cpu.append((time.thread_time() - c) * 1000)
    engine.dispose()
    by_kind: dict[str, list[int]] = {}
    for n, (kind, _q) in enumerate(asked):
        by_kind.setdefault(kind, []).append(n)
    return {
        "size": size,
        "build_s": round(build_s, 2),
        "queries": len(qs),
        "answered_share": round(found / len(qs), 3),
        "answer_p50_ms": round(statistics.median(answer_ms), 2),
        "answer_p95_ms": round(_pct(answer_ms, 0.95), 2),
        "fts_p50_ms": round(statistics.median(fts_ms), 2),
        "fts_p95_ms": round(_pct(fts_ms, 0.95), 2),
        "bm25_build_s": round(bm25_build_s, 2),
        "bm25_queries": len(qs),
        "bm25_p50_ms": round(statistics.median(base_ms), 2),
        "bm25_p95_ms": round(_pct(base_ms, 0.95), 2),
        "speedup_p50": round(statistics.median(base_ms) / statistics.median(answer_ms), 1),
        "speedup_p95": round(_pct(base_ms, 0.95) / _pct(answer_ms, 0.95), 1),
        # What the engine adds to the index's own work (the aim: at most 3x at p95).
        "over_fts_p95": round(_pct(answer_ms, 0.95) / _pct(fts_ms, 0.95), 1),
        "cpu": {
            "answer_p50_ms": round(statistics.median(answer_cpu), 2),
            "answer_p95_ms": round(_pct(answer_cpu, 0.95), 2),
            "fts_p95_ms": round(_pct(fts_cpu, 0.95), 2),
            "bm25_p95_ms": round(_pct(base_cpu, 0.95), 2),
            "speedup_p95": round(_pct(base_cpu, 0.95) / _pct(answer_cpu, 0.95), 1),
            "over_fts_p95": round(_pct(answer_cpu, 0.95) / _pct(fts_cpu, 0.95), 1),
        },
        "kinds": {
            kind: {
                "questions": len(ns),
                "answer_p95_ms": round(_pct([answer_ms[n] for n in ns], 0.95), 2),
                "answer_cpu_p95_ms": round(_pct([answer_cpu[n] for n in ns], 0.95), 2),
                "fts_p95_ms": round(_pct([fts_ms[n] for n in ns], 0.95), 2),
                "bm25_p95_ms": round(_pct([base_ms[n] for n in ns], 0.95), 2),
            }
            for kind, ns in by_kind.items()
        },
    }


SECRET = "bench-signing-secret"


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sig,
    }


class _AuthTestOnly(BaseHTTPRequestHandler):
    """A stand-in Slack Web API that answers `auth.test` (Bolt calls it once, then caches)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(
            {
                "ok": True,
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "B1",
                "team": "t",
                "user": "bot",
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


def bench_ack(total: int, concurrency: int, tmp: Path) -> dict[str, Any]:
    slack = ThreadingHTTPServer(("127.0.0.1", 0), _AuthTestOnly)
    threading.Thread(target=slack.serve_forever, daemon=True).start()
    slack_url = f"http://127.0.0.1:{slack.server_address[1]}/api/"
    url = f"sqlite:///{tmp}/ack.db"
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(
        database_url=url,
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-bench",
        slack_api_url=slack_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    deps = Deps(settings=settings, sessions=session_factory(engine), engine=engine)
    client = WebClient(token="xoxb-bench", base_url=settings.slack_api_url)
    bolt = build_app(deps, client=client, token_verification_enabled=False)
    register_all(bolt, deps)
    web = create_web_app(deps, bolt_app=bolt)
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/slack/events"
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/policy",
            "text": "help",
            "response_url": "http://127.0.0.1:9/response/1",
            "trigger_id": "1.2.3",
        }
    )
    local = threading.local()

    def one(_: int) -> float:
        http = getattr(local, "client", None)
        if http is None:
            http = local.client = httpx.Client(timeout=10)
        t = time.perf_counter()
        response = http.post(base, content=body, headers=_signed(body))
        elapsed = (time.perf_counter() - t) * 1000
        if response.status_code != 200 or "policy" not in response.text:
            raise RuntimeError(f"bad ack: {response.status_code}")
        return elapsed

    latencies: list[float] = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(concurrency)))  # warm-up: connections, imports
        for _ in range(max(1, total // concurrency)):
            latencies.extend(pool.map(one, range(concurrency)))
    server.should_exit = True
    thread.join(timeout=10)
    slack.shutdown()
    engine.dispose()
    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "ack_p50_ms": round(statistics.median(latencies), 2),
        "ack_p99_ms": round(_pct(latencies, 0.99), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--acks", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        stores = [bench_store(size, args.queries, tmp) for size in sizes]
        ack = bench_ack(args.acks, args.concurrency, tmp)
    print(
        f"{'docs':>8} {'build s':>8} {'answer p50':>11} {'answer p95':>11} {'fts p50':>8} "
        f"{'fts p95':>8} {'bm25 p50':>9} {'bm25 p95':>9} {'x p50':>6} {'x p95':>6} {'/fts p95':>9} {'answered':>9}"
    )
    for s in stores:
        print(
            f"{s['size']:>8} {s['build_s']:>8} {s['answer_p50_ms']:>11} {s['answer_p95_ms']:>11} "
            f"{s['fts_p50_ms']:>8} {s['fts_p95_ms']:>8} {s['bm25_p50_ms']:>9} "
            f"{s['bm25_p95_ms']:>9} {s['speedup_p50']:>6} {s['speedup_p95']:>6} "
            f"{s['over_fts_p95']:>9} {s['answered_share']:>9}"
        )
    print(
        "(ms; answer = full engine; fts = raw FTS5 query; bm25 = rank_bm25 baseline, top 3; "
        "x = bm25 / answer; /fts = answer / fts)"
    )
    for s in stores:
        cpu = s["cpu"]
        print(
            f"CPU time at {s['size']} (less sensitive to a loaded machine): answer p50 "
            f"{cpu['answer_p50_ms']} p95 {cpu['answer_p95_ms']} ms, fts p95 {cpu['fts_p95_ms']}, "
            f"bm25 p95 {cpu['bm25_p95_ms']}: x p95 {cpu['speedup_p95']}, /fts p95 "
            f"{cpu['over_fts_p95']}"
        )
        kinds = ", ".join(
            f"{kind} ({k['questions']}) {k['answer_p95_ms']}/{k['fts_p95_ms']}/{k['bm25_p95_ms']}"
            f" (answer CPU {k['answer_cpu_p95_ms']})"
            for kind, k in s["kinds"].items()
        )
        print(f"p95 by kind at {s['size']}, answer/fts/bm25 ms: {kinds}")
    print(
        f"/policy help ack: {ack['requests']} signed requests, {ack['concurrency']} concurrent: "
        f"p50 {ack['ack_p50_ms']} ms, p99 {ack['ack_p99_ms']} ms"
    )
    print(json.dumps({"stores": stores, "ack": ack}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
