"""Operator mistakes: one line on stderr, exit 2, nothing changed; the documented setup works.

Commands run through `bot.cli.main.main` (the installed `policybot` entry point) in-process,
in a temporary working directory, so `.env` is read as a user's would be.
"""

from __future__ import annotations

import logging
import shutil
import socket
import sys
from pathlib import Path

import pytest
from sqlmodel import select
from support.fakeslack import FakeSlack
from support.sourceserver import SourceServer

from bot.cli.main import main
from bot.config import Settings
from store.db import make_engine, session_factory
from store.models import Source

ROOT = Path(__file__).resolve().parents[3]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `policybot ARGV...`."""
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["policybot", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err


def feed_sources(path: Path, server: SourceServer, *names: str) -> None:
    path.write_text(
        "".join(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\n'
            f'url = "{server.fixture("/" + name, "rss2_synthetic.xml")}"\nprimary = true\n\n'
            for name in names
        ),
        encoding="utf-8",
    )


def stored_sources(url: str) -> dict[str, tuple[bool, int]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            rows = session.exec(select(Source)).all()
            return {r.name: (r.enabled, r.consecutive_failures) for r in rows}
    finally:
        engine.dispose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone's working directory: `.env` copied from `.env.example` as it is."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    # Only what keeps the test offline: the sources are on 127.0.0.1.
    monkeypatch.setenv("POLICYBOT_ALLOW_PRIVATE_SOURCES", "true")
    monkeypatch.setenv("POLICYBOT_FETCH_HOST_INTERVAL_SECONDS", "0")
    return tmp_path


def test_env_example_copied_as_it_is_means_every_default(workdir: Path) -> None:
    from_example = Settings(_env_file=workdir / ".env.example")  # type: ignore[call-arg]
    shutil.copy(workdir / ".env", workdir / ".env.example")
    from_example = Settings(_env_file=workdir / ".env.example")  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name in Settings.model_fields:
        if name == "allow_private_sources":
            continue  # set by the fixture's environment in both
        assert getattr(from_example, name) == getattr(defaults, name), name
    assert from_example.taxonomy_path is None and from_example.sources_file is None


def test_the_documented_setup_stores_what_it_polls(
    workdir: Path, source_server: SourceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_sources(workdir / "sources.toml", source_server, "team-feed")
    code, out, err = run(["init"], capsys)
    assert code == 0 and "database ready" in out, err
    code, out, err = run(["poll"], capsys)
    assert code == 0, out + err
    assert "1 sources, 3 new" in out and "store error" not in out
    assert stored_sources("sqlite:///policybot.db") == {"team-feed": (True, 0)}


def test_a_mistyped_sources_path_is_one_line_and_changes_nothing(
    workdir: Path,
    source_server: SourceServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed_sources(workdir / "sources.toml", source_server, "team-feed")
    assert run(["poll"], capsys)[0] == 0
    before = stored_sources("sqlite:///policybot.db")
    monkeypatch.setenv("POLICYBOT_SOURCES", "sourcse.toml")
    for argv in (["poll"], ["poll", "--all"], ["sources", "list"], ["sources", "check"]):
        code, _, err = run(argv, capsys)
        one_line_error(code, err, "sourcse.toml", "cannot read the sources file")
    assert stored_sources("sqlite:///policybot.db") == before


def test_a_sources_file_that_is_a_directory_or_not_utf8_is_one_line(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYBOT_SOURCES", str(workdir))
    one_line_error(*run(["sources", "list"], capsys)[::2], "cannot read the sources file")
    (workdir / "latin1.toml").write_bytes(b"# caf\xe9\n")
    monkeypatch.setenv("POLICYBOT_SOURCES", "latin1.toml")
    one_line_error(*run(["poll"], capsys)[::2], "not UTF-8")
    assert not (workdir / "policybot.db").exists()


@pytest.mark.parametrize(
    ("taxonomy", "words"),
    [
        (".", ["POLICYBOT_TAXONOMY", "cannot read the taxonomy"]),
        ("missing.toml", ["POLICYBOT_TAXONOMY", "missing.toml"]),
        ("bad.toml", ["POLICYBOT_TAXONOMY", "invalid TOML"]),
    ],
)
def test_a_bad_taxonomy_is_one_line_never_a_sources_failure(
    workdir: Path,
    source_server: SourceServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    taxonomy: str,
    words: list[str],
) -> None:
    feed_sources(workdir / "sources.toml", source_server, "team-feed")
    assert run(["init"], capsys)[0] == 0
    (workdir / "bad.toml").write_text("[jurisdictions\n", encoding="utf-8")
    monkeypatch.setenv("POLICYBOT_TAXONOMY", taxonomy)
    for _ in range(2):
        one_line_error(*run(["poll"], capsys)[::2], *words)
    monkeypatch.delenv("POLICYBOT_TAXONOMY")
    code, out, _ = run(["poll"], capsys)
    assert code == 0 and "1 sources, 3 new" in out, out


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("garbage", ["not a usable SQLAlchemy URL"]),
        ("mysql://policybot:pw-123@localhost/x", ["not a usable SQLAlchemy URL"]),
        ("sqlite:///{dir}", ["cannot open the database"]),
        ("postgresql+psycopg://policybot:pw-123@127.0.0.1:1/x", ["cannot open the database"]),
    ],
    ids=["garbage", "mysql-no-driver", "a-directory", "refused-postgresql"],
)
@pytest.mark.parametrize(
    "argv", [["init"], ["poll"], ["ask", "chips"], ["export"], ["sources", "list"]]
)
def test_a_bad_database_url_is_one_line_without_the_password(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    words: list[str],
    argv: list[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", url.format(dir=workdir))
    code, _, err = run(argv, capsys)
    one_line_error(code, err, "DATABASE_URL", *words)
    assert "pw-123" not in err


def test_init_refuses_an_in_memory_store_that_keeps_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///")
    one_line_error(*run(["init"], capsys)[::2], "in-memory")


def test_the_demo_refuses_a_store_holding_a_teams_sources(
    workdir: Path, source_server: SourceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_sources(workdir / "sources.toml", source_server, "team-feed", "team-news")
    assert run(["poll"], capsys)[0] == 0
    before = stored_sources("sqlite:///policybot.db")
    db = workdir / "policybot.db"
    size = db.stat().st_size
    code, out, err = run(["demo", "--database", "sqlite:///policybot.db"], capsys)
    one_line_error(code, err, "2 sources not from the demo", "'team-feed'")
    assert out == ""
    assert stored_sources("sqlite:///policybot.db") == before and db.stat().st_size == size


def test_the_demo_help_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--help"], capsys)
    assert code == 0
    assert "never posts to Slack" in " ".join(out.split())
    assert "team's sources is refused" in " ".join(out.split())


@pytest.fixture
def serve_env(workdir: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-123")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    return fake_slack


@pytest.mark.parametrize(
    ("argv", "env", "words"),
    [
        (["--port", "70000"], {}, ["--port 70000 is out of range"]),
        ([], {"SLACK_BOT_TOKEN": "xoxb-wrong-token"}, ["Slack refused SLACK_BOT_TOKEN"]),
        ([], {"SLACK_API_URL": "http://127.0.0.1:1/api/"}, ["Slack is not reachable"]),
        ([], {"SLACK_API_URL": "not a url"}, ["SLACK_API_URL", "http(s) URL"]),
        ([], {"POLICYBOT_SOURCES": "sourcse.toml"}, ["sourcse.toml", "cannot read"]),
    ],
    ids=[
        "port-out-of-range",
        "token-refused",
        "slack-unreachable",
        "api-url-not-a-url",
        "sources-file-missing",
    ],
)
def test_serve_refuses_a_bad_setup_in_one_line_before_opening_the_store(
    serve_env: FakeSlack,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    words: list[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(["serve", "--host", "127.0.0.1", *argv], capsys)
    one_line_error(code, err, *words)
    assert "xoxb-wrong-token" not in err
    assert not (workdir / "policybot.db").exists()


def test_serve_refuses_a_port_already_taken(
    serve_env: FakeSlack, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(["serve", "--host", "127.0.0.1", "--port", str(port)], capsys)
    one_line_error(code, err, f"cannot listen on 127.0.0.1:{port}")


def test_building_the_app_logs_no_spurious_token_warning(
    serve_env: FakeSlack, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    from bot.deps import Deps
    from bot.slack.app import build_app
    from store.db import session_factory as sessions_for

    caplog.set_level(logging.DEBUG)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    engine = make_engine(database_url)
    try:
        build_app(Deps(settings=settings, sessions=sessions_for(engine), engine=engine))
    finally:
        engine.dispose()
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]


@pytest.mark.parametrize(
    "argv", [[], ["brief"], ["export"], ["poll"], ["ask"], ["serve"], ["sources", "list"]]
)
def test_help_shows_flags_without_a_value_placeholder(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([*argv, "--help"], capsys)
    assert code == 0 and "--help" in out
    assert "<bool>" not in out and "BOOLEAN" not in out
