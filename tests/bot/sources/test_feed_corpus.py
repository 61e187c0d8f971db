"""`policybot sources parse` reads feedparser's own 2,106 test feeds as feedparser does.

Agreement (issue 16): the same usable entries, titles and published times (see
tests/support/feedcorpus.py), for at least 98% of the files, and never a traceback. Every file where
the project disagrees on purpose is listed below with the reason; any other disagreement fails.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from support.feedcorpus import (
    CORPUS,
    corpus_files,
    disagreement,
    feedparser_entries,
    file_headers,
    seen_of,
)
from typer.testing import CliRunner

from bot.cli.main import app

# Relative to tests/fixtures/feedparser/.
DELIBERATE = {
    "illformed/chardet/shiftjis.xml": (
        "Shift_JIS with no charset anywhere: feedparser reads it right only with chardet (its "
        "own test is skipped without it); both read it as mojibake, and this project reads "
        "the C1 control characters in it as the cp1252 letters they nearly always are"
    ),
    "wellformed/sanitize/entry_title_crazy.xml": (
        "a title that is a whole HTML page with scripts hidden in comments: feedparser's "
        "sanitizer keeps the script text; this project drops scripts and comments"
    ),
}


def _parse_all(files: list[Path]) -> dict[str, dict[str, object]]:
    """Run `sources parse --json` over the files, once per set of headers they ask for."""
    groups: dict[tuple[str | None, str | None], list[Path]] = defaultdict(list)
    for path in files:
        headers = file_headers(path.read_bytes())
        groups[(headers.get("content-type"), headers.get("content-location"))].append(path)
    runner = CliRunner()
    out: dict[str, dict[str, object]] = {}
    for (content_type, url), paths in groups.items():
        args = ["sources", "parse", "--json", *map(str, paths)]
        args += ["--content-type", content_type] if content_type else []
        args += ["--url", url] if url else []
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 3), result.output
        for line in result.stdout.splitlines():
            record = json.loads(line)
            out[record["path"]] = record
    return out


def test_sources_parse_agrees_with_feedparser_on_its_own_corpus() -> None:
    files = corpus_files()
    assert len(files) == 2106
    parsed = _parse_all(files)
    disagreements: dict[str, str] = {}
    for path in files:
        record = parsed[str(path)]
        error = record["error"]
        assert error is None or (isinstance(error, str) and "\n" not in error), path
        assert not (isinstance(error, str) and error.startswith("internal error")), (path, error)
        entries = record["entries"]
        assert isinstance(entries, list)
        body = path.read_bytes()
        why = disagreement(
            feedparser_entries(body, file_headers(body)), [seen_of(e) for e in entries]
        )
        if why is not None:
            disagreements[path.relative_to(CORPUS).as_posix()] = why
    share = 1 - len(disagreements) / len(files)
    assert share >= 0.98
    unexplained = {name: why for name, why in disagreements.items() if name not in DELIBERATE}
    assert unexplained == {}
    assert set(DELIBERATE) <= set(disagreements), "a listed disagreement no longer happens"
