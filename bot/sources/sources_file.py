"""The sources file: TOML schema, validation, the bundled default pack, and syncing into the store.

The file is the operator's list. `sync_sources` makes the `sources` table follow it: new names
are added, changed ones updated, names no longer in the file disabled (their items stay).
Sources added from Slack (`origin="slack"`) are not in the file and are left alone, and so are
file sources an admin removed from Slack, while the file lists them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cssselect import GenericTranslator, SelectorError
from sqlmodel import Session, col, select

from bot.sources.netguard import UnsafeURLError, check_url
from bot.vocab import normalize_jurisdiction, normalize_topic
from store.models import Source
from store.source_admin import REMOVED_FILE_SOURCE

KINDS: tuple[str, ...] = ("feed", "federal_register", "govuk_search", "page")
DEFAULT_INTERVAL_MINUTES = 60
MIN_INTERVAL_MINUTES = 5
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_KEYS = frozenset(
    {
        "name",
        "kind",
        "url",
        "jurisdictions",
        "topics",
        "primary",
        "interval_minutes",
        "selector",
        "comment",
    }
)
_REQUIRED = ("name", "kind", "url", "primary")
BUNDLED_PACK = "data/sources.toml"


@dataclass(frozen=True)
class SourceSpec:
    """One validated `[[sources]]` entry."""

    name: str
    kind: str
    url: str
    primary: bool
    jurisdictions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    selector: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class SourcesProblem:
    line: int | None
    source: str | None
    message: str


class SourcesFileError(Exception):
    """An invalid sources file: every problem, each naming the file, line or source, and what."""

    def __init__(self, path: str, problems: Sequence[SourcesProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.describe(p) for p in self.problems))

    def describe(self, problem: SourcesProblem) -> str:
        where = self.path + (f":{problem.line}" if problem.line else "")
        who = f" source {problem.source!r}:" if problem.source else ""
        return f"{where}:{who} {problem.message}"


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def bundled_pack_text() -> str:
    return resources.files("bot").joinpath(BUNDLED_PACK).read_text(encoding="utf-8")


def _table_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each `[[sources]]` header, in order."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*sources\s*\]\]", line)
    ]


def _key_line(text: str, start: int | None, key: str) -> int | None:
    """The line of `key = ...` inside the table that starts at `start`, else `start`."""
    if start is None:
        return None
    lines = text.splitlines()
    for number in range(start, len(lines)):  # `start` is 1-based: this is the next line
        line = lines[number]
        if re.match(r"^\s*\[", line):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number + 1
    return start


def validate_source(values: Mapping[str, Any]) -> tuple[SourceSpec | None, list[tuple[str, str]]]:
    """Check one source's values. Returns the spec (or None) and `(key, problem)` pairs.

    Also used for sources added from Slack, so the rules are the same everywhere.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(set(values) - _KEYS):
        problems.append((key, f"unknown key {key!r} (allowed: {', '.join(sorted(_KEYS))})"))
    for key in _REQUIRED:
        if key not in values:
            problems.append((key, f"missing required key {key!r}"))

    name = values.get("name")
    if "name" in values and (not isinstance(name, str) or not _NAME_RE.match(name)):
        problems.append(
            ("name", "name must be 1-100 lowercase letters, digits and '-' (not at the ends)")
        )
    kind = values.get("kind")
    if "kind" in values and kind not in KINDS:
        problems.append(("kind", f"kind {kind!r} is not one of {', '.join(KINDS)}"))
    url = values.get("url")
    if "url" in values:
        if not isinstance(url, str):
            problems.append(("url", "url must be a string"))
        else:
            try:
                check_url(url, allow_private=True)  # syntax only; addresses are checked at fetch
            except UnsafeURLError as exc:
                problems.append(("url", f"url: {exc}"))
    primary = values.get("primary")
    if "primary" in values and not isinstance(primary, bool):
        problems.append(("primary", "primary must be true or false"))

    jurisdictions: list[str] = []
    raw_j = values.get("jurisdictions", [])
    if not isinstance(raw_j, list) or not all(isinstance(j, str) for j in raw_j):
        problems.append(("jurisdictions", "jurisdictions must be a list of strings"))
    else:
        for word in raw_j:
            code = normalize_jurisdiction(word)
            if code is None:
                problems.append(("jurisdictions", f"unknown jurisdiction {word!r}"))
            elif code not in jurisdictions:
                jurisdictions.append(code)
    topics: list[str] = []
    raw_t = values.get("topics", [])
    if not isinstance(raw_t, list) or not all(isinstance(t, str) for t in raw_t):
        problems.append(("topics", "topics must be a list of strings"))
    else:
        for word in raw_t:
            topic = normalize_topic(word)
            if topic is None:
                problems.append(("topics", f"unknown topic {word!r}"))
            elif topic not in topics:
                topics.append(topic)

    interval = values.get("interval_minutes", DEFAULT_INTERVAL_MINUTES)
    if isinstance(interval, bool) or not isinstance(interval, int):
        problems.append(("interval_minutes", "interval_minutes must be a whole number"))
    elif interval < MIN_INTERVAL_MINUTES:
        problems.append(
            ("interval_minutes", f"interval_minutes must be at least {MIN_INTERVAL_MINUTES}")
        )
    selector = values.get("selector")
    if selector is not None:
        if not isinstance(selector, str) or not selector.strip():
            problems.append(("selector", "selector must be a non-empty CSS selector string"))
        elif kind in KINDS and kind != "page":
            problems.append(("selector", 'selector is only allowed for kind = "page"'))
        elif kind == "page":
            try:
                GenericTranslator().css_to_xpath(selector)
            except SelectorError as exc:
                problems.append(("selector", f"selector {selector!r} is not valid CSS: {exc}"))
    comment = values.get("comment", "")
    if not isinstance(comment, str):
        problems.append(("comment", "comment must be a string"))

    if problems:
        return None, problems
    assert isinstance(name, str) and isinstance(kind, str) and isinstance(url, str)
    return (
        SourceSpec(
            name=name,
            kind=kind,
            url=url.strip(),
            primary=bool(primary),
            jurisdictions=tuple(jurisdictions),
            topics=tuple(topics),
            interval_minutes=int(interval),
            selector=selector.strip() if isinstance(selector, str) else None,
            comment=str(comment),
        ),
        [],
    )


def parse_sources_text(text: str, *, path: str) -> list[SourceSpec]:
    """Validate a sources file's text; raise `SourcesFileError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise SourcesFileError(
            path, [SourcesProblem(line, None, f"not valid TOML: {exc}")]
        ) from None
    problems: list[SourcesProblem] = []
    for key in sorted(set(data) - {"sources"}):
        problems.append(SourcesProblem(None, None, f"unknown top-level key {key!r}"))
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        problems.append(SourcesProblem(None, None, "no [[sources]] entries"))
        raise SourcesFileError(path, problems)
    headers = _table_lines(text)
    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for index, values in enumerate(entries):
        start = headers[index] if index < len(headers) else None
        label = values.get("name") if isinstance(values.get("name"), str) else None
        who = label or f"#{index + 1} (no name)"
        spec, found = validate_source(values)
        for key, message in found:
            problems.append(SourcesProblem(_key_line(text, start, key), who, message))
        if spec is None:
            continue
        if spec.name in seen:
            problems.append(
                SourcesProblem(
                    start, who, f"duplicate name (first used by source #{seen[spec.name]})"
                )
            )
            continue
        if spec.url in seen_urls:
            problems.append(
                SourcesProblem(
                    _key_line(text, start, "url"),
                    who,
                    f"duplicate url (first used by source #{seen_urls[spec.url]})",
                )
            )
            continue
        seen[spec.name] = index + 1
        seen_urls[spec.url] = index + 1
        specs.append(spec)
    if problems:
        raise SourcesFileError(path, problems)
    return specs


def load_sources_file(path: Path | None) -> tuple[list[SourceSpec], str]:
    """The sources of `path`, or of the bundled default pack when `path` is None.

    A `path` that is missing, a directory or not UTF-8 is a `SourcesFileError` (never a silent
    switch to the bundled pack: `Settings.sources_file` decides when that is meant).
    Returns the specs and a description of where they came from.
    """
    if path is None:
        return parse_sources_text(bundled_pack_text(), path="<bundled default pack>"), (
            "bundled default pack"
        )
    return parse_sources_text(read_sources_text(path), path=str(path)), str(path)


def read_sources_text(path: Path) -> str:
    """The text of the sources file; `SourcesFileError` when it is missing, a directory,
    unreadable or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourcesFileError(str(path), [SourcesProblem(None, None, "not UTF-8 text")]) from None
    except OSError as exc:
        problem = SourcesProblem(None, None, f"cannot read the sources file ({exc.strerror})")
        raise SourcesFileError(str(path), [problem]) from None


def _apply(source: Source, spec: SourceSpec) -> bool:
    """Copy the spec onto the row; True when anything changed."""
    changed = False
    values: dict[str, Any] = {
        "kind": spec.kind,
        "url": spec.url,
        "jurisdictions": list(spec.jurisdictions),
        "topics": list(spec.topics),
        "primary": spec.primary,
        "interval_minutes": spec.interval_minutes,
        "selector": spec.selector,
        "comment": spec.comment,
        "enabled": True,
        "origin": "file",
    }
    if source.url != spec.url or source.kind != spec.kind or source.selector != spec.selector:
        # What is fetched changed: old validators and backoff say nothing about the new target.
        source.etag = None
        source.last_modified = None
        source.consecutive_failures = 0
        source.next_due_at = None
    for key, value in values.items():
        if getattr(source, key) != value:
            setattr(source, key, value)
            changed = True
    return changed


def sync_sources(session: Session, *, specs: Sequence[SourceSpec], now: datetime) -> SyncResult:
    """Make the `sources` table follow the file. The caller commits."""
    result = SyncResult()
    existing = {s.name: s for s in session.exec(select(Source)).all()}
    wanted = {spec.name for spec in specs}
    for spec in specs:
        row = existing.get(spec.name)
        if row is not None and row.origin == REMOVED_FILE_SOURCE:
            continue  # an admin removed it from Slack: that holds while the file lists it
        if row is None:
            row = Source(name=spec.name, kind=spec.kind, url=spec.url, created_at=now)
            _apply(row, spec)
            session.add(row)
            result.added.append(spec.name)
        elif _apply(row, spec):
            session.add(row)
            result.updated.append(spec.name)
    for name, row in existing.items():
        if name in wanted:
            continue
        if row.origin == "file" and row.enabled:
            row.enabled = False
            session.add(row)
            result.disabled.append(name)
        elif row.origin == REMOVED_FILE_SOURCE:
            # Gone from the file too: listing it there again means watching it again.
            row.origin = "file"
            session.add(row)
    session.flush()
    return result


class SourceNameTakenError(ValueError):
    """A source with this name already exists."""


def add_slack_source(
    session: Session, *, spec: SourceSpec, added_by: str | None, now: datetime
) -> Source:
    """Store a source added from Slack (`origin="slack"`; file syncs leave it alone).

    Validate it first with `validate_source`. The caller commits.
    """
    existing = session.exec(select(Source).where(col(Source.name) == spec.name)).first()
    if existing is not None:
        raise SourceNameTakenError(f"a source named {spec.name!r} already exists")
    row = Source(name=spec.name, kind=spec.kind, url=spec.url, created_at=now)
    _apply(row, spec)
    row.origin = "slack"
    row.added_by = added_by
    session.add(row)
    session.flush()
    return row
