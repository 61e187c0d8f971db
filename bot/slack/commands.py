"""The `/policy` grammar of docs/reference.md: text in, one typed command out. Never raises.

`help` (or nothing), `ask QUESTION`, `latest [JURISDICTION…] [TOPIC…]`, `search TERMS`,
`subscribe …`, `unsubscribe …`, `subscriptions`, `sources`, `sources add URL [KIND]
[JURISDICTION…]`, `sources remove NAME`, `status`. An unknown first word gets help naming the
nearest subcommand; text over 1,000 characters gets a polite refusal. Subscription arguments are
parsed with the alerts service's own parser so both read them the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from bot import vocab
from bot.alerts.subscriptions import (
    SubscribeArgs,
    SubscriptionError,
    UnsubscribeArgs,
    parse_subscribe_args,
    parse_unsubscribe_args,
)

MAX_TEXT_CHARS = 1000
SOURCE_KINDS = ("feed", "federal_register", "govuk_search", "page")
SUBCOMMANDS = (
    "help",
    "ask",
    "latest",
    "search",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "sources",
    "status",
)


@dataclass(frozen=True)
class Help:
    name = "help"
    topic: str | None = None  # a subcommand to explain, when known


@dataclass(frozen=True)
class Ask:
    name = "ask"
    question: str


@dataclass(frozen=True)
class Latest:
    name = "latest"
    jurisdictions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Search:
    name = "search"
    terms: str


@dataclass(frozen=True)
class Subscribe:
    name = "subscribe"
    args: SubscribeArgs


@dataclass(frozen=True)
class Unsubscribe:
    name = "unsubscribe"
    args: UnsubscribeArgs


@dataclass(frozen=True)
class Subscriptions:
    name = "subscriptions"
    here: bool = False


@dataclass(frozen=True)
class SourcesList:
    name = "sources"


@dataclass(frozen=True)
class SourcesAdd:
    name = "sources add"
    url: str
    kind: str = "feed"
    jurisdictions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourcesRemove:
    name = "sources remove"
    source_name: str


@dataclass(frozen=True)
class Status:
    name = "status"


@dataclass(frozen=True)
class Unknown:
    """The first word is no subcommand; `suggestion` is the nearest one, if any is near."""

    name = "unknown"
    word: str
    suggestion: str | None


@dataclass(frozen=True)
class Invalid:
    """A known subcommand with arguments it cannot use; `message` is for the person."""

    name = "invalid"
    subcommand: str
    message: str


@dataclass(frozen=True)
class TooLong:
    name = "too_long"
    length: int
    limit: int = field(default=MAX_TEXT_CHARS)


Command = (
    Help
    | Ask
    | Latest
    | Search
    | Subscribe
    | Unsubscribe
    | Subscriptions
    | SourcesList
    | SourcesAdd
    | SourcesRemove
    | Status
    | Unknown
    | Invalid
    | TooLong
)


def nearest_subcommand(word: str) -> str | None:
    matches = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    prefixed = [s for s in SUBCOMMANDS if word and s.startswith(word.lower())]
    return prefixed[0] if len(prefixed) == 1 else None


def parse_command(text: str | None) -> Command:
    """The command `text` asks for. Total: every input gives a command, none raises."""
    try:
        return _parse(text or "")
    except Exception:  # a parser bug must not become a stack trace in Slack
        return Invalid(
            subcommand="?", message="That command could not be read. Try `/policy help`."
        )


def _parse(text: str) -> Command:
    if len(text) > MAX_TEXT_CHARS:
        return TooLong(length=len(text))
    stripped = " ".join(text.split())
    if not stripped:
        return Help()
    head, _, rest = stripped.partition(" ")
    word = head.lower()
    rest = rest.strip()
    if word in ("help", "?", "-h", "--help"):
        topic = rest.lower().split(" ")[0] if rest else None
        return Help(topic=topic if topic in SUBCOMMANDS else None)
    if word == "ask":
        if not rest:
            return Invalid(
                "ask", "Ask a question after `ask`, e.g. `/policy ask any new Dutch chip rules?`"
            )
        return Ask(question=rest)
    if word == "latest":
        return _parse_latest(rest)
    if word == "search":
        if not rest:
            return Invalid("search", "Give words to search for, e.g. `/policy search gallium`.")
        return Search(terms=rest)
    if word == "subscribe":
        try:
            return Subscribe(args=parse_subscribe_args(rest))
        except SubscriptionError as exc:
            return Invalid("subscribe", str(exc))
    if word == "unsubscribe":
        try:
            return Unsubscribe(args=parse_unsubscribe_args(rest))
        except SubscriptionError as exc:
            return Invalid("unsubscribe", str(exc))
    if word == "subscriptions":
        extra = [w for w in rest.lower().split() if w != "here"]
        if extra:
            return Invalid("subscriptions", "`subscriptions` takes nothing, or `here`.")
        return Subscriptions(here="here" in rest.lower().split())
    if word == "sources":
        return _parse_sources(rest)
    if word == "status":
        return Status()
    return Unknown(word=head[:40], suggestion=nearest_subcommand(word))


def _parse_latest(rest: str) -> Command:
    jurisdictions: list[str] = []
    topics: list[str] = []
    unknown: list[str] = []
    words = rest.split()
    i = 0
    while i < len(words):
        # Two-word names first: "united kingdom", "export controls", "south korea".
        pair = " ".join(words[i : i + 2])
        for candidate, size in ((pair, 2), (words[i], 1)):
            if size == 2 and i + 1 >= len(words):
                continue
            code = vocab.normalize_jurisdiction(candidate)
            topic = vocab.normalize_topic(candidate)
            if code:
                jurisdictions.append(code)
                i += size
                break
            if topic:
                topics.append(topic)
                i += size
                break
        else:
            unknown.append(words[i])
            i += 1
    if unknown:
        shown = ", ".join(f"`{w[:30]}`" for w in unknown[:5])
        return Invalid(
            "latest",
            f"Not a jurisdiction or topic: {shown}. Jurisdictions: "
            f"{', '.join(vocab.JURISDICTIONS)}; topics: {', '.join(vocab.TOPICS)}.",
        )
    return Latest(
        jurisdictions=tuple(dict.fromkeys(jurisdictions)), topics=tuple(dict.fromkeys(topics))
    )


def _parse_sources(rest: str) -> Command:
    if not rest:
        return SourcesList()
    words = rest.split()
    action = words[0].lower()
    if action in ("list", "ls"):
        return SourcesList()
    if action == "add":
        if len(words) < 2:
            return Invalid(
                "sources add", "Usage: `/policy sources add URL [KIND] [JURISDICTION…]`."
            )
        url = words[1].strip("<>")
        # Slack may send a link as <https://x|label>; keep the URL part.
        url = url.split("|", 1)[0]
        kind = "feed"
        jurisdictions: list[str] = []
        unknown: list[str] = []
        for word in words[2:]:
            if word.lower() in SOURCE_KINDS:
                kind = word.lower()
                continue
            code = vocab.normalize_jurisdiction(word)
            if code:
                jurisdictions.append(code)
            else:
                unknown.append(word)
        if unknown:
            shown = ", ".join(f"`{w[:30]}`" for w in unknown[:5])
            return Invalid(
                "sources add",
                f"Not a kind or jurisdiction: {shown}. Kinds: {', '.join(SOURCE_KINDS)}.",
            )
        return SourcesAdd(url=url, kind=kind, jurisdictions=tuple(dict.fromkeys(jurisdictions)))
    if action in ("remove", "rm", "delete"):
        if len(words) != 2:
            return Invalid("sources remove", "Usage: `/policy sources remove NAME`.")
        return SourcesRemove(source_name=words[1].lower())
    return Invalid(
        "sources",
        "Use `/policy sources`, `/policy sources add URL [KIND] [JURISDICTION…]` or "
        "`/policy sources remove NAME`.",
    )
