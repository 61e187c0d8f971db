"""The `/policy` grammar: every subcommand, unknown words, long text, and no input raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.commands import (
    Ask,
    Help,
    Invalid,
    Latest,
    Search,
    SourcesAdd,
    SourcesList,
    SourcesRemove,
    Status,
    Subscribe,
    Subscriptions,
    TooLong,
    Unknown,
    Unsubscribe,
    parse_command,
)


def test_empty_text_and_help_give_help() -> None:
    assert parse_command("") == Help()
    assert parse_command("   ") == Help()
    assert parse_command(None) == Help()
    assert parse_command("help") == Help()
    assert parse_command("help ask") == Help(topic="ask")


def test_ask_keeps_the_question() -> None:
    assert parse_command("ask  any new Dutch chip rules?") == Ask(
        question="any new Dutch chip rules?"
    )
    assert isinstance(parse_command("ask"), Invalid)


def test_latest_reads_jurisdictions_and_topics() -> None:
    assert parse_command("latest") == Latest()
    assert parse_command("latest uk Britain export controls") == Latest(
        jurisdictions=("UK",), topics=("export-controls",)
    )
    assert parse_command("latest US sovereignty") == Latest(
        jurisdictions=("US",), topics=("sovereignty",)
    )
    invalid = parse_command("latest Narnia")
    assert isinstance(invalid, Invalid) and "Narnia" in invalid.message


def test_search_needs_terms() -> None:
    assert parse_command("search gallium germanium") == Search(terms="gallium germanium")
    assert isinstance(parse_command("search"), Invalid)


def test_subscription_words_are_parsed() -> None:
    sub = parse_command("subscribe US NL export-controls daily here")
    assert isinstance(sub, Subscribe)
    assert sub.args.jurisdictions == ("US", "NL")
    assert sub.args.topics == ("export-controls",)
    assert sub.args.mode == "daily"
    assert sub.args.here is True
    unsub = parse_command("unsubscribe all here")
    assert isinstance(unsub, Unsubscribe)
    assert unsub.args.everything and unsub.args.here
    assert parse_command("subscriptions") == Subscriptions()
    assert parse_command("subscriptions here") == Subscriptions(here=True)
    assert isinstance(parse_command("subscribe"), Invalid)


def test_sources_subcommands() -> None:
    assert parse_command("sources") == SourcesList()
    assert parse_command("sources add https://example.org/feed.xml feed UK") == SourcesAdd(
        url="https://example.org/feed.xml", kind="feed", jurisdictions=("UK",)
    )
    assert parse_command("sources add <https://example.org/a|example.org/a> page") == SourcesAdd(
        url="https://example.org/a", kind="page"
    )
    assert parse_command("sources remove bis-rules") == SourcesRemove(source_name="bis-rules")
    assert isinstance(parse_command("sources add"), Invalid)
    assert isinstance(parse_command("sources add https://x.org nonsense"), Invalid)
    assert isinstance(parse_command("sources frobnicate"), Invalid)


def test_status() -> None:
    assert parse_command("status") == Status()


def test_unknown_subcommand_names_the_nearest_match() -> None:
    assert parse_command("serch gallium") == Unknown(word="serch", suggestion="search")
    assert parse_command("subscibe US") == Unknown(word="subscibe", suggestion="subscribe")
    assert parse_command("xyzzy") == Unknown(word="xyzzy", suggestion=None)


def test_text_over_1000_characters_is_refused() -> None:
    result = parse_command("ask " + "a" * 1000)
    assert isinstance(result, TooLong)
    assert result.length == 1004
    assert isinstance(parse_command("ask " + "a" * 990), Ask)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=1200))
def test_no_text_makes_the_parser_raise(text: str) -> None:
    result = parse_command(text)
    # The parser's last-resort guard turns an internal error into Invalid("?"): never reached.
    assert not (isinstance(result, Invalid) and result.subcommand == "?")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "help",
            "ask",
            "latest",
            "search",
            "subscribe",
            "unsubscribe",
            "subscriptions",
            "sources",
            "sources add",
            "sources remove",
            "status",
            "helpp",
            "",
        ]
    ),
    st.lists(st.text(min_size=0, max_size=30), max_size=8),
)
def test_no_arguments_make_a_subcommand_raise(head: str, words: list[str]) -> None:
    result = parse_command(" ".join([head, *words]))
    assert not (isinstance(result, Invalid) and result.subcommand == "?")
